/// Turns arbitrary byte chunks into complete text lines.
package struct LineAssembler {
  private var pending: [UInt8] = []

  package init() {}

  /// Appends `bytes` and returns the lines they complete, without terminators.
  package mutating func append(_ bytes: UnsafeRawBufferPointer) -> [String] {
    var lines: [String] = []
    for byte in bytes {
      if byte == UInt8(ascii: "\n") {
        lines.append(Self.decode(pending))
        pending.removeAll(keepingCapacity: true)
      } else {
        pending.append(byte)
      }
    }
    return lines
  }

  /// Returns the unterminated remainder, if any, and clears it.
  package mutating func finish() -> String? {
    defer { pending.removeAll() }
    return pending.isEmpty ? nil : Self.decode(pending)
  }

  private static func decode(_ bytes: [UInt8]) -> String {
    var text = String(decoding: bytes, as: UTF8.self)
    if text.hasSuffix("\r") { text.removeLast() }
    return text
  }
}
