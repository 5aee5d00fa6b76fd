import Foundation

/// The parts of one pip requirement line that resolution rules need: its name and version clauses.
public struct RequirementLine: Hashable, Sendable {
  /// The PEP 503 normalised name, or the whole line for a nameless direct reference.
  public var name: String
  /// Version clauses (`>=1.2`, `<2`, `==1.2.3`), without extras, URL or environment marker.
  public var clauses: [String]
  /// True for `name @ url` and bare URLs or paths: the line names one exact artifact.
  public var isDirectReference: Bool

  public init(_ line: String) {
    name = RequirementName.normalized(ofRequirement: line)
    var rest = Substring(line.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    isDirectReference = rest.contains(" @ ") || rest.contains("://") || rest.hasPrefix(".") || rest.hasPrefix("/")
    if isDirectReference {
      clauses = []
      return
    }
    rest = rest.drop { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
    if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") { rest = rest[rest.index(after: close)...] }
    clauses = rest.replacingOccurrences(of: "(", with: "").replacingOccurrences(of: ")", with: "")
      .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }

  /// The exact version of a `==X.Y.Z` clause (no wildcard), if the line has one.
  public var pinnedVersion: String? {
    for clause in clauses where clause.hasPrefix("==") && !clause.contains("*") {
      let version = clause.drop { $0 == "=" }.trimmingCharacters(in: .whitespaces)
      if !version.isEmpty { return version }
    }
    return nil
  }

  /// True when some clause caps the version from above (`==`, `===`, `<`, `<=`, `~=`), or the line is a direct reference.
  public var hasUpperBound: Bool {
    isDirectReference || clauses.contains { $0.hasPrefix("==") || $0.hasPrefix("<") || $0.hasPrefix("~=") }
  }
}
