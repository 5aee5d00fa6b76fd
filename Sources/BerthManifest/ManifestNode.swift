import BerthModel

/// A YAML node with its source location, the input of schema validation.
public struct ManifestNode: Sendable {
  public enum Scalar: Sendable, Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null
  }

  public enum Content: Sendable {
    case scalar(Scalar, raw: String)
    case mapping([(key: String, keyLocation: SourceLocation, value: ManifestNode)])
    case sequence([ManifestNode])
  }

  public var content: Content
  public var location: SourceLocation
  /// A value already reported and replaced by null (an alias, a tag): later checks skip it instead of piling on.
  public var isRefused = false

  public init(content: Content, location: SourceLocation, isRefused: Bool = false) {
    self.content = content
    self.location = location
    self.isRefused = isRefused
  }

  /// A short name for the node's type, for "must be X, found Y" messages.
  public var typeName: String {
    switch content {
    case .scalar(.string, _): "string"
    case .scalar(.int, _): "integer"
    case .scalar(.double, let raw): ScalarResolution.isDecimalInteger(raw) ? "integer" : "number"
    case .scalar(.bool, _): "boolean"
    case .scalar(.null, _): "null"
    case .mapping: "mapping"
    case .sequence: "list"
    }
  }

  /// The value of a mapping entry, if this is a mapping that has it.
  public subscript(key: String) -> ManifestNode? {
    guard case .mapping(let entries) = content else { return nil }
    return entries.first { $0.key == key }?.value
  }

  public var stringValue: String? {
    if case .scalar(.string(let s), _) = content { return s }
    return nil
  }
}

/// Plain-scalar typing: null, booleans, decimal integers and floats; everything else is a string.
///
/// Booleans follow YAML 1.2 (`true`/`false` in three spellings): YAML 1.1's `yes`, `on`, `y`… are strings, so
/// `enabled: yes` is refused with a hint rather than read as one of several half-supported spellings.
enum ScalarResolution {
  static let nulls: Set<String> = ["", "~", "null", "Null", "NULL"]
  static let trues: Set<String> = ["true", "True", "TRUE"]
  static let falses: Set<String> = ["false", "False", "FALSE"]
  /// YAML 1.1 spellings of booleans, named in the hint when a boolean field gets one.
  static let yaml11Booleans: Set<String> = [
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
  ]

  static func resolve(_ text: String) -> ManifestNode.Scalar {
    if nulls.contains(text) { return .null }
    if trues.contains(text) { return .bool(true) }
    if falses.contains(text) { return .bool(false) }
    guard let first = text.utf8.first, first == 43 || first == 45 || first == 46 || (first >= 48 && first <= 57) else {
      return .string(text)
    }
    if isDecimalInteger(text) {
      let digits = text.replacingOccurrences(of: "_", with: "")
      // Past 64 bits it stays a number (typed "integer" by typeName) so range checks can name it.
      return Int(digits).map(ManifestNode.Scalar.int) ?? .double(Double(digits) ?? .infinity)
    }
    if text.contains("."), isFloat(text), let value = Double(text) {
      return .double(value)
    }
    switch text {
    case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
    case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
    case ".nan", ".NaN", ".NAN": return .double(.nan)
    default: return .string(text)
    }
  }

  /// `[-+]?(0|[1-9][0-9_]*)`: a leading zero would be octal in YAML 1.1, so it stays a string here.
  static func isDecimalInteger(_ text: String) -> Bool {
    var bytes = Substring(text).utf8[...]
    if let sign = bytes.first, sign == 43 || sign == 45 { bytes = bytes.dropFirst() }
    guard let first = bytes.first, first >= 48 && first <= 57 else { return false }
    if first == 48 { return bytes.count == 1 }
    return bytes.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == 95 }
  }

  /// `[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?`, the YAML 1.1 float form (a dot is required).
  static func isFloat(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    var i = 0
    if i < bytes.count, bytes[i] == 43 || bytes[i] == 45 { i += 1 }
    var digits = 0
    while i < bytes.count, (bytes[i] >= 48 && bytes[i] <= 57) || bytes[i] == 95 { i += 1; digits += 1 }
    guard i < bytes.count, bytes[i] == 46 else { return false }
    i += 1
    while i < bytes.count, (bytes[i] >= 48 && bytes[i] <= 57) || bytes[i] == 95 { i += 1; digits += 1 }
    guard digits > 0 else { return false }
    if i < bytes.count, bytes[i] == 101 || bytes[i] == 69 {
      i += 1
      guard i < bytes.count, bytes[i] == 43 || bytes[i] == 45 else { return false }
      i += 1
      let start = i
      while i < bytes.count, bytes[i] >= 48 && bytes[i] <= 57 { i += 1 }
      guard i > start else { return false }
    }
    return i == bytes.count
  }
}
