import Foundation

/// One conda dependency string (`numpy=1.26.4`, `conda-forge::scipy >=1.11`) split into parts.
struct CondaMatchSpec: Equatable {
  /// The package name, lowercased, without channel prefix.
  var name: String
  /// The version part as written (`=1.26.4`, `>=1.2,<2`, `1.26.*`), or empty.
  var version: String
  /// A build string that followed the version, if any.
  var build: String?
  /// The bracket part (`[version='>=1']`) that was present, if any.
  var bracket: String?
  /// The channel before `::` (`conda-forge::numpy`), if any.
  var channel: String?

  /// Splits `text`; returns `nil` when it does not start with a package name.
  init?(_ text: String) {
    var rest = Substring(text.trimmingCharacters(in: .whitespaces))
    if let channelEnd = rest.range(of: "::") {
      channel = String(rest[..<channelEnd.lowerBound])
      rest = rest[channelEnd.upperBound...]
    }
    if let open = rest.firstIndex(of: "[") {
      bracket = String(rest[open...])
      rest = rest[..<open]
    }
    let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
    guard !name.isEmpty else { return nil }
    self.name = name.lowercased()
    rest = rest.dropFirst(name.count)
    let tokens = rest.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    var versionText = tokens.first ?? ""
    build = tokens.count > 1 ? tokens[1...].joined(separator: " ") : nil
    // `name=1.2=build`: a single '=' introduces a fuzzy version, a second one a build string.
    if versionText.hasPrefix("="), !versionText.hasPrefix("==") {
      let parts = versionText.dropFirst().split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      versionText = "=" + (parts.first.map(String.init) ?? "")
      if parts.count > 1 { build = String(parts[1]) }
    }
    version = versionText
  }

  /// How the version part translates to pip.
  enum PipVersion: Equatable {
    /// No version constraint.
    case unconstrained
    /// A pip specifier such as `==1.26.4`, `==1.26.*` or `>=1.2,<2`.
    case specifier(String)
    /// Conda syntax pip cannot express (`1.2|1.4`, a lone operator).
    case unsupported
  }

  /// The version as pip understands it.
  ///
  /// Conda's single `=` (and a bare version) is a prefix match: `=1.26`
  /// means any `1.26.x`, so versions with fewer than three components
  /// become `==X.Y.*`.
  var pipVersion: PipVersion {
    if version.isEmpty { return .unconstrained }
    if version.contains("|") { return .unsupported }
    let operators = ["==", ">=", "<=", "!=", "~=", ">", "<"]
    if let op = operators.first(where: { version.hasPrefix($0) }) {
      let body = String(version.dropFirst(op.count))
      if body.isEmpty { return .unsupported }
      return op == "==" ? Self.fuzzy(body, exact: true) : .specifier(version)
    }
    let body = version.hasPrefix("=") ? String(version.dropFirst()) : version
    guard let first = body.first, first.isNumber || first == "*" else { return .unsupported }
    return Self.fuzzy(body, exact: false)
  }

  /// `1.26.4` → `==1.26.4`, `1.26` → `==1.26.*`, `1.2*` → `==1.2.*`, `*` → no constraint.
  private static func fuzzy(_ body: String, exact: Bool) -> PipVersion {
    var version = body
    if version == "*" { return .unconstrained }
    if version.hasSuffix("*") {
      version.removeLast()
      if version.hasSuffix(".") { version.removeLast() }
      return .specifier("==\(version).*")
    }
    if exact || version.split(separator: ".").count >= 3 { return .specifier("==\(version)") }
    return .specifier("==\(version).*")
  }
}
