import Foundation

/// JSON string literals as Berth writes them by hand (watch log lines, Kubernetes objects).
public enum JSONString {
  /// `text` as a JSON string literal: quotes, backslashes and control characters (DEL too) escaped. Also a valid
  /// YAML double-quoted scalar, since YAML does not allow DEL or other control characters unescaped.
  public static func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20 || scalar.value == 0x7F:
        out += String(format: "\\u%04x", scalar.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
