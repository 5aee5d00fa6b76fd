/// Binary encoding for Berth's caches: LEB128 varints (signed ones zig-zagged), length-prefixed UTF-8 strings and
/// little-endian fixed-width values. Every read is bounds-checked; a damaged cache reads as nil, never as a crash.

/// Appends varints, strings and fixed-width values to a byte buffer.
public struct ByteWriter {
  public init() {}

  public var bytes: [UInt8] = []

  public mutating func byte(_ value: UInt8) { bytes.append(value) }

  public mutating func unsigned(_ value: UInt64) {
    var value = value
    while value >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
      value >>= 7
    }
    bytes.append(UInt8(value))
  }

  public mutating func signed(_ value: Int64) { unsigned(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }

  public mutating func fixed(_ value: UInt64) {
    for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
  }

  public mutating func string(_ value: String) {
    var value = value
    value.withUTF8 { utf8 in
      unsigned(UInt64(utf8.count))
      bytes.append(contentsOf: utf8)
    }
  }

  public mutating func raw(_ value: some Collection<UInt8>) { bytes.append(contentsOf: value) }

  public mutating func location(_ location: SourceLocation) {
    unsigned(UInt64(max(0, location.line)))
    unsigned(UInt64(max(0, location.column)))
  }
}

/// Reads what `ByteWriter` wrote; every read is bounds-checked and returns nil past the end or on a malformed value.
public struct ByteReader {
  public let bytes: [UInt8]
  public private(set) var offset: Int
  public let end: Int

  public init(_ bytes: [UInt8], from offset: Int = 0, to end: Int? = nil) {
    self.bytes = bytes
    self.offset = offset
    self.end = min(end ?? bytes.count, bytes.count)
  }

  public var isAtEnd: Bool { offset >= end }

  public mutating func byte() -> UInt8? {
    guard offset < end else { return nil }
    defer { offset += 1 }
    return bytes[offset]
  }

  public mutating func unsigned() -> UInt64? {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while offset < end, shift < 64 {
      let byte = bytes[offset]
      offset += 1
      result |= UInt64(byte & 0x7F) << shift
      if byte < 0x80 { return result }
      shift += 7
    }
    return nil
  }

  public mutating func signed() -> Int64? {
    guard let raw = unsigned() else { return nil }
    return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
  }

  /// A count of items still to read: never more than the bytes left, so a damaged length cannot reserve gigabytes.
  public mutating func count() -> Int? {
    guard let value = unsigned(), value <= UInt64(end - offset) else { return nil }
    return Int(value)
  }

  public mutating func fixed() -> UInt64? {
    guard end - offset >= 8 else { return nil }
    var value: UInt64 = 0
    for index in 0..<8 { value |= UInt64(bytes[offset + index]) << UInt64(index * 8) }
    offset += 8
    return value
  }

  public mutating func string() -> String? {
    guard let length = count() else { return nil }
    defer { offset += length }
    return bytes.withUnsafeBufferPointer { buffer in
      String(validating: UnsafeBufferPointer(rebasing: buffer[offset..<offset + length]), as: UTF8.self)
    }
  }

  public mutating func raw(_ length: Int) -> ArraySlice<UInt8>? {
    guard length >= 0, end - offset >= length else { return nil }
    defer { offset += length }
    return bytes[offset..<offset + length]
  }

  public mutating func location(file: String) -> SourceLocation? {
    guard let line = unsigned(), let column = unsigned(), line <= Int.max, column <= Int.max else { return nil }
    return SourceLocation(file: file, line: Int(line), column: Int(column))
  }
}
