import BerthModel

/// JSON text of a `JSONValue`: compact (what is sent, `createOptions`), canonical (sorted keys, for digests) or
/// indented (what `berth render` prints).
enum EdgeJSON {
  static func compact(_ value: JSONValue) -> String {
    var out = ""
    write(value, sorted: false, indent: nil, depth: 0, into: &out)
    return out
  }

  /// Keys sorted at every level: equal for equal content whatever order the hub returns members in.
  static func canonical(_ value: JSONValue) -> String {
    var out = ""
    write(value, sorted: true, indent: nil, depth: 0, into: &out)
    return out
  }

  static func pretty(_ value: JSONValue) -> String {
    var out = ""
    write(value, sorted: false, indent: "  ", depth: 0, into: &out)
    return out + "\n"
  }

  private static func write(_ value: JSONValue, sorted: Bool, indent: String?, depth: Int, into out: inout String) {
    let newline = indent.map { "\n" + String(repeating: $0, count: depth + 1) } ?? ""
    let closing = indent.map { "\n" + String(repeating: $0, count: depth) } ?? ""
    switch value {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .double(let d): out += d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    case .string(let s): out += JSONString.quoted(s)
    case .array(let items):
      guard !items.isEmpty else { return out += "[]" }
      out += "["
      for (index, item) in items.enumerated() {
        out += (index > 0 ? "," : "") + newline
        write(item, sorted: sorted, indent: indent, depth: depth + 1, into: &out)
      }
      out += closing + "]"
    case .object(var members):
      guard !members.isEmpty else { return out += "{}" }
      if sorted { members.sort { $0.key < $1.key } }
      out += "{"
      for (index, member) in members.enumerated() {
        out += (index > 0 ? "," : "") + newline + JSONString.quoted(member.key) + (indent == nil ? ":" : ": ")
        write(member.value, sorted: sorted, indent: indent, depth: depth + 1, into: &out)
      }
      out += closing + "}"
    }
  }
}

extension JSONValue {
  /// The value without the twin's read-only members (`$metadata`, `$version`, …), at every level.
  var withoutTwinMetadata: JSONValue {
    switch self {
    case .object(let members):
      .object(members.filter { !$0.key.hasPrefix("$") }.map { Member($0.key, $0.value.withoutTwinMetadata) })
    case .array(let items): .array(items.map(\.withoutTwinMetadata))
    default: self
    }
  }

  /// Removes the member at `key` of an object.
  mutating func remove(_ key: String) {
    guard case .object(let members) = self else { return }
    self = .object(members.filter { $0.key != key })
  }

  var objectMembers: [Member] {
    if case .object(let members) = self { return members }
    return []
  }
}
