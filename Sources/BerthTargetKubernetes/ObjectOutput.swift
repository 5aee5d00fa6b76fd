import BerthModel
import Foundation

/// Writes rendered objects as JSON (request bodies) or YAML (what `berth render` prints).
public enum ObjectOutput {
  /// Compact JSON, members in their order.
  public static func json(_ value: JSONValue) -> String {
    var out = ""
    writeJSON(value, into: &out)
    return out
  }

  private static func writeJSON(_ value: JSONValue, into out: inout String) {
    switch value {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .int(let i): out += String(i)
    case .double(let d): out += d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    case .string(let s): out += JSONString.quoted(s)
    case .array(let items):
      out += "["
      for (index, item) in items.enumerated() {
        if index > 0 { out += "," }
        writeJSON(item, into: &out)
      }
      out += "]"
    case .object(let members):
      out += "{"
      for (index, member) in members.enumerated() {
        if index > 0 { out += "," }
        out += JSONString.quoted(member.key) + ":"
        writeJSON(member.value, into: &out)
      }
      out += "}"
    }
  }

  /// Several objects as one YAML stream, `---` between documents, like `helm template`.
  public static func yaml(_ objects: [JSONValue]) -> String {
    objects.map { "---\n" + yaml($0) }.joined()
  }

  /// One object as block-style YAML.
  public static func yaml(_ value: JSONValue) -> String {
    var out = ""
    writeYAML(value, indent: 0, into: &out)
    return out
  }

  private static func writeYAML(_ value: JSONValue, indent: Int, into out: inout String) {
    let pad = String(repeating: " ", count: indent)
    switch value {
    case .object(let members) where !members.isEmpty:
      for member in members {
        out += pad + key(member.key) + ":"
        writeNested(member.value, indent: indent, into: &out)
      }
    case .array(let items) where !items.isEmpty:
      for item in items {
        out += pad + "-"
        switch item {
        case .object(let members) where !members.isEmpty:
          // The first member shares the dash's line; the rest align under it.
          var nested = ""
          writeYAML(.object(members), indent: indent + 2, into: &nested)
          out += " " + nested.dropFirst(indent + 2)
        case .array(let inner) where !inner.isEmpty:
          out += "\n"
          writeYAML(item, indent: indent + 2, into: &out)
        default:
          out += " " + scalar(item) + "\n"
        }
      }
    default:
      out += pad + scalar(value) + "\n"
    }
  }

  private static func writeNested(_ value: JSONValue, indent: Int, into out: inout String) {
    switch value {
    case .object(let members) where !members.isEmpty:
      out += "\n"
      writeYAML(value, indent: indent + 2, into: &out)
    case .array(let items) where !items.isEmpty:
      out += "\n"
      writeYAML(value, indent: indent, into: &out)
    default:
      out += " " + scalar(value) + "\n"
    }
  }

  private static func scalar(_ value: JSONValue) -> String {
    switch value {
    case .string(let s): isPlainSafe(s) ? s : JSONString.quoted(s)
    case .object: "{}"
    case .array: "[]"
    default: json(value)
    }
  }

  private static func key(_ text: String) -> String { isPlainSafe(text) ? text : JSONString.quoted(text) }

  /// Whether a string reads back as the same string when written without quotes.
  static func isPlainSafe(_ text: String) -> Bool {
    guard let first = text.unicodeScalars.first else { return false }
    let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"]
    if reserved.contains(text.lowercased()) { return false }
    if Double(text) != nil || Int(text) != nil || text.hasPrefix("0x") || text.hasPrefix("0o") || text.hasPrefix(".") {
      return false
    }
    let allowedFirst = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "/_"))
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "/_.-@+=,()"))
      .union(CharacterSet(charactersIn: ":"))
    guard allowedFirst.contains(first), text.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
      return false
    }
    // `a: b` and `a #b` would change meaning; a colon directly followed by a letter is fine (`sha256:ab…`).
    return !text.hasSuffix(":") && !text.contains(": ")
  }
}
