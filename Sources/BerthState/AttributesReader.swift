import BerthModel

/// Reads the attribute JSON the store writes — an object of strings, integers, booleans, lists and
/// tagged doubles (`{"double": 1.5}`) — an order of magnitude faster than `JSONDecoder`.
///
/// Anything outside that shape throws; the caller falls back to `JSONDecoder`, which reads any JSON.
struct AttributesReader {
  struct Malformed: Error {}

  private let bytes: [UInt8]
  private var index = 0

  static func read(_ json: String) throws -> Attributes {
    var reader = AttributesReader(bytes: Array(json.utf8))
    let value = try reader.object()
    reader.skipSpace()
    guard reader.index == reader.bytes.count else { throw Malformed() }
    return value
  }

  private init(bytes: [UInt8]) {
    self.bytes = bytes
  }

  private mutating func object() throws -> Attributes {
    try expect(UInt8(ascii: "{"))
    var result: Attributes = [:]
    skipSpace()
    if peek() == UInt8(ascii: "}") {
      index += 1
      return result
    }
    while true {
      skipSpace()
      let key = try string()
      skipSpace()
      try expect(UInt8(ascii: ":"))
      result[key] = try value()
      skipSpace()
      guard let next = peek() else { throw Malformed() }
      index += 1
      if next == UInt8(ascii: "}") { return result }
      guard next == UInt8(ascii: ",") else { throw Malformed() }
    }
  }

  private mutating func value() throws -> FieldValue {
    skipSpace()
    guard let first = peek() else { throw Malformed() }
    switch first {
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): try literal("true"); return .bool(true)
    case UInt8(ascii: "f"): try literal("false"); return .bool(false)
    case UInt8(ascii: "["):
      index += 1
      var items: [FieldValue] = []
      skipSpace()
      if peek() == UInt8(ascii: "]") {
        index += 1
        return .list(items)
      }
      while true {
        items.append(try value())
        skipSpace()
        guard let next = peek() else { throw Malformed() }
        index += 1
        if next == UInt8(ascii: "]") { return .list(items) }
        guard next == UInt8(ascii: ",") else { throw Malformed() }
      }
    case UInt8(ascii: "{"):
      // Only the tagged double; its non-finite forms are rare enough for the slow path.
      let tagged = try object()
      guard tagged.count == 1, let number = tagged["double"] else { throw Malformed() }
      switch number {
      case .int(let i): return .double(Double(i))
      case .double(let d): return .double(d)
      default: throw Malformed()
      }
    default:
      return try number()
    }
  }

  private mutating func number() throws -> FieldValue {
    let start = index
    var isInteger = true
    while let byte = peek(),
      byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
        || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || (byte >= 48 && byte <= 57)
    {
      if !(byte >= 48 && byte <= 57) && !(byte == UInt8(ascii: "-") && index == start) { isInteger = false }
      index += 1
    }
    let text = String(decoding: bytes[start..<index], as: UTF8.self)
    if isInteger, let value = Int(text) { return .int(value) }
    guard let value = Double(text) else { throw Malformed() }
    return .double(value)
  }

  private mutating func string() throws -> String {
    try expect(UInt8(ascii: "\""))
    let start = index
    var hasEscape = false
    while let byte = peek(), byte != UInt8(ascii: "\"") {
      if byte == UInt8(ascii: "\\") {
        hasEscape = true
        index += 1
      }
      index += 1
    }
    guard peek() == UInt8(ascii: "\"") else { throw Malformed() }
    defer { index += 1 }
    if hasEscape { throw Malformed() }  // escapes are rare in attributes; the slow path handles them
    return String(decoding: bytes[start..<index], as: UTF8.self)
  }

  private mutating func literal(_ word: StaticString) throws {
    let expected = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
    guard index + expected.count <= bytes.count, bytes[index..<index + expected.count].elementsEqual(expected) else {
      throw Malformed()
    }
    index += expected.count
  }

  private mutating func expect(_ byte: UInt8) throws {
    guard peek() == byte else { throw Malformed() }
    index += 1
  }

  private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

  private mutating func skipSpace() {
    while let byte = peek(), byte == 32 || byte == 10 || byte == 13 || byte == 9 { index += 1 }
  }
}
