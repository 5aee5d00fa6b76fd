/// A problem a user can fix, located in a manifest when the location is known.
///
/// Loading and validation collect diagnostics instead of stopping at the first one;
/// `throw` is kept for IO failures and bugs.
public struct Diagnostic: Hashable, Sendable, Codable, CustomStringConvertible {
  public enum Severity: String, Hashable, Sendable, Codable, Comparable {
    case error
    case warning
    case note

    private var rank: Int {
      switch self {
      case .error: 0
      case .warning: 1
      case .note: 2
      }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
  }

  public var severity: Severity
  public var message: String
  public var location: SourceLocation?
  /// A suggestion printed on its own line under the message.
  public var hint: String?

  public init(_ severity: Severity, _ message: String, at location: SourceLocation? = nil, hint: String? = nil) {
    self.severity = severity
    self.message = message
    self.location = location
    self.hint = hint
  }

  public static func error(_ message: String, at location: SourceLocation? = nil, hint: String? = nil) -> Diagnostic {
    Diagnostic(.error, message, at: location, hint: hint)
  }

  public static func warning(_ message: String, at location: SourceLocation? = nil, hint: String? = nil) -> Diagnostic {
    Diagnostic(.warning, message, at: location, hint: hint)
  }

  /// `file:line:col: error: message`, then `  hint: …` when there is a hint.
  public var description: String {
    var text = location.map { "\($0): " } ?? ""
    text += "\(severity.rawValue): \(message)"
    if let hint { text += "\n  hint: \(hint)" }
    return text
  }
}

extension Array where Element == Diagnostic {
  public var hasErrors: Bool { contains { $0.severity == .error } }

  /// Sorted by file, line and column; diagnostics without a location come first.
  public func sortedByLocation() -> [Diagnostic] {
    enumerated().sorted { a, b in
      switch (a.element.location, b.element.location) {
      case (nil, nil): return a.offset < b.offset
      case (nil, _): return true
      case (_, nil): return false
      case (let l?, let r?): return l == r ? a.offset < b.offset : l < r
      }
    }.map(\.element)
  }
}
