import Foundation

/// Writes a POSIX (ustar + PAX) tar stream with fixed owners (0:0, no names) and mtime 0, so equal trees give equal bytes.
struct TarWriter {
  private let sink: (Data) throws -> Void

  init(sink: @escaping (Data) throws -> Void) { self.sink = sink }

  /// Writes every entry of `tree` in sorted order, then the end-of-archive blocks.
  func write(_ tree: LayerTree) throws {
    for entry in tree.sortedEntries { try write(entry) }
    try sink(Data(count: 1024))
  }

  func write(_ entry: LayerEntry) throws {
    let name = entry.content == .directory ? entry.path + "/" : entry.path
    var linkName = ""
    var size = 0
    let type: UInt8
    switch entry.content {
    case .directory: type = UInt8(ascii: "5")
    case .symlink(let target):
      type = UInt8(ascii: "2")
      linkName = target
    case .bytes(let data):
      type = UInt8(ascii: "0")
      size = data.count
    case .file(_, let fileSize):
      type = UInt8(ascii: "0")
      size = fileSize
    }
    var pax: [(String, String)] = []
    if name.utf8.count > 100 || !name.allSatisfy(\.isASCII) { pax.append(("path", name)) }
    if linkName.utf8.count > 100 || !linkName.allSatisfy(\.isASCII) { pax.append(("linkpath", linkName)) }
    if !pax.isEmpty {
      let records = pax.map { Self.paxRecord($0.0, $0.1) }.joined()
      let body = Data(records.utf8)
      try sink(Self.header(name: "PaxHeader", mode: 0o644, size: body.count, type: UInt8(ascii: "x"), linkName: ""))
      try sink(Self.padded(body))
    }
    try sink(Self.header(name: name, mode: entry.mode, size: size, type: type, linkName: linkName))
    switch entry.content {
    case .bytes(let data): try sink(Self.padded(data))
    case .file(let source, let expected): try copy(source, expected: expected)
    default: break
    }
  }

  private func copy(_ source: String, expected: Int) throws {
    guard let handle = FileHandle(forReadingAtPath: source) else { throw ImageBuildError("cannot read '\(source)'") }
    defer { try? handle.close() }
    var written = 0
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
      guard written + chunk.count <= expected else { throw ImageBuildError("'\(source)' changed while it was archived") }
      try sink(chunk)
      written += chunk.count
    }
    guard written == expected else { throw ImageBuildError("'\(source)' changed while it was archived") }
    if written % 512 != 0 { try sink(Data(count: 512 - written % 512)) }
  }

  /// `"<length> key=value\n"` where the length counts the whole record, itself included.
  static func paxRecord(_ key: String, _ value: String) -> String {
    let rest = " \(key)=\(value)\n"
    var length = rest.utf8.count + 1
    while String(length).utf8.count + rest.utf8.count != length { length += 1 }
    return String(length) + rest
  }

  static func padded(_ data: Data) -> Data {
    var out = data
    if data.count % 512 != 0 { out.append(Data(count: 512 - data.count % 512)) }
    return out
  }

  static func header(name: String, mode: UInt32, size: Int, type: UInt8, linkName: String) -> Data {
    var block = [UInt8](repeating: 0, count: 512)
    func put(_ text: String, at offset: Int, width: Int) {
      for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
    }
    func octal(_ value: Int, at offset: Int, width: Int) {
      let digits = String(value, radix: 8)
      put(String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits, at: offset, width: width - 1)
    }
    put(name, at: 0, width: 100)
    octal(Int(mode), at: 100, width: 8)
    octal(0, at: 108, width: 8)
    octal(0, at: 116, width: 8)
    octal(size, at: 124, width: 12)
    octal(0, at: 136, width: 12)
    block[156] = type
    put(linkName, at: 157, width: 100)
    put("ustar\0", at: 257, width: 6)
    put("00", at: 263, width: 2)
    octal(0, at: 329, width: 8)
    octal(0, at: 337, width: 8)
    for index in 148..<156 { block[index] = 0x20 }
    let checksum = block.reduce(0) { $0 + Int($1) }
    let digits = String(checksum, radix: 8)
    put(String(repeating: "0", count: max(0, 6 - digits.count)) + digits, at: 148, width: 6)
    block[154] = 0
    block[155] = 0x20
    return Data(block)
  }
}
