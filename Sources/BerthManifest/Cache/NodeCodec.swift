import BerthModel

/// A compact binary form of `ManifestNode` trees, the body of the manifest cache.
///
/// Integers are LEB128 varints (signed ones zig-zagged), strings are a length and UTF-8 bytes, doubles their bit
/// pattern. Locations keep line and column only: the file is the one the entry belongs to, supplied when decoding, so a
/// cache written by `berth plan --dir ./m` serves `berth plan --dir m` with the paths that run prints.
enum NodeCodec {
  private enum Tag: UInt8 {
    case string = 0
    case int = 1
    case double = 2
    case boolFalse = 3
    case boolTrue = 4
    case null = 5
    case mapping = 6
    case sequence = 7
  }

  private static let refusedFlag: UInt8 = 0x10
  /// A string scalar written exactly as its value: the value is not stored twice.
  private static let rawIsValueFlag: UInt8 = 0x20

  static func encode(_ node: ManifestNode, into writer: inout ByteWriter) {
    var flags: UInt8 = node.isRefused ? refusedFlag : 0
    switch node.content {
    case .scalar(let scalar, let raw):
      switch scalar {
      case .string(let value):
        if value == raw { flags |= rawIsValueFlag }
        writer.byte(Tag.string.rawValue | flags)
        writer.location(node.location)
        writer.string(raw)
        if value != raw { writer.string(value) }
      case .int(let value):
        writer.byte(Tag.int.rawValue | flags)
        writer.location(node.location)
        writer.string(raw)
        writer.signed(Int64(value))
      case .double(let value):
        writer.byte(Tag.double.rawValue | flags)
        writer.location(node.location)
        writer.string(raw)
        writer.fixed(value.bitPattern)
      case .bool(let value):
        writer.byte((value ? Tag.boolTrue : Tag.boolFalse).rawValue | flags)
        writer.location(node.location)
        writer.string(raw)
      case .null:
        writer.byte(Tag.null.rawValue | flags)
        writer.location(node.location)
        writer.string(raw)
      }
    case .mapping(let entries):
      writer.byte(Tag.mapping.rawValue | flags)
      writer.location(node.location)
      writer.unsigned(UInt64(entries.count))
      for entry in entries {
        writer.string(entry.key)
        writer.location(entry.keyLocation)
        encode(entry.value, into: &writer)
      }
    case .sequence(let items):
      writer.byte(Tag.sequence.rawValue | flags)
      writer.location(node.location)
      writer.unsigned(UInt64(items.count))
      for item in items { encode(item, into: &writer) }
    }
  }

  /// The node at the reader's position, its locations in `file`; nil when the bytes are not a node (a damaged cache).
  static func decode(from reader: inout ByteReader, file: String, depth: Int = 0) -> ManifestNode? {
    guard depth <= ManifestLimits.depth, let head = reader.byte(), let tag = Tag(rawValue: head & 0x0F),
      let location = reader.location(file: file)
    else { return nil }
    let isRefused = head & refusedFlag != 0
    let content: ManifestNode.Content
    switch tag {
    case .string:
      guard let raw = reader.string() else { return nil }
      if head & rawIsValueFlag != 0 {
        content = .scalar(.string(raw), raw: raw)
      } else {
        guard let value = reader.string() else { return nil }
        content = .scalar(.string(value), raw: raw)
      }
    case .int:
      guard let raw = reader.string(), let value = reader.signed(), let int = Int(exactly: value) else { return nil }
      content = .scalar(.int(int), raw: raw)
    case .double:
      guard let raw = reader.string(), let bits = reader.fixed() else { return nil }
      content = .scalar(.double(Double(bitPattern: bits)), raw: raw)
    case .boolFalse, .boolTrue:
      guard let raw = reader.string() else { return nil }
      content = .scalar(.bool(tag == .boolTrue), raw: raw)
    case .null:
      guard let raw = reader.string() else { return nil }
      content = .scalar(.null, raw: raw)
    case .mapping:
      guard let count = reader.count() else { return nil }
      var entries: [(key: String, keyLocation: SourceLocation, value: ManifestNode)] = []
      entries.reserveCapacity(count)
      for _ in 0..<count {
        guard let key = reader.string(), let keyLocation = reader.location(file: file),
          let value = decode(from: &reader, file: file, depth: depth + 1)
        else { return nil }
        entries.append((key, keyLocation, value))
      }
      content = .mapping(entries)
    case .sequence:
      guard let count = reader.count() else { return nil }
      var items: [ManifestNode] = []
      items.reserveCapacity(count)
      for _ in 0..<count {
        guard let item = decode(from: &reader, file: file, depth: depth + 1) else { return nil }
        items.append(item)
      }
      content = .sequence(items)
    }
    return ManifestNode(content: content, location: location, isRefused: isRefused)
  }
}
