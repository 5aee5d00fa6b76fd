import BerthModel
import Foundation
import Yams

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

  /// One object as block-style YAML, written by Yams (libyaml's emitter), members in their order.
  public static func yaml(_ value: JSONValue) -> String {
    // Serializing a tree of plain scalars cannot fail; an error would be a bug in the node built here.
    (try? Yams.serialize(node: node(value), indent: 2, width: -1, allowUnicode: true)) ?? json(value) + "\n"
  }

  /// The YAML node of a JSON value. Strings that a YAML 1.1 reader (kubectl, go-yaml) would take for another
  /// type are double-quoted; the emitter itself writes every scalar as given.
  static func node(_ value: JSONValue) -> Node {
    switch value {
    case .null: return Node("null", Tag(.null))
    case .bool(let flag): return Node(flag ? "true" : "false", Tag(.bool))
    case .int, .double: return Node(json(value), Tag(value.intValue != nil ? .int : .float))
    case .string(let text): return Node(text, Tag(.str), isPlainSafe(text) ? .plain : .doubleQuoted)
    case .array(let items): return Node(items.map(node), Tag(.seq), .block)
    case .object(let members):
      return Node(
        members.map { (Node($0.key, Tag(.str), isPlainSafe($0.key) ? .plain : .doubleQuoted), node($0.value)) }, Tag(.map),
        .block)
    }
  }

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
