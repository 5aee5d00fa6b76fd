/// A concrete Python interpreter chosen for building an environment.
public struct PythonInterpreter: Sendable, Hashable, Codable {
  /// The real executable (`sys.executable`, not a pyenv shim).
  public var path: String
  /// The exact version, e.g. `3.9.18`.
  public var version: String
  /// Why this interpreter may not be what was asked for (empty when it is).
  public var warnings: [String]

  /// Creates an interpreter value.
  public init(path: String, version: String, warnings: [String] = []) {
    self.path = path
    self.version = version
    self.warnings = warnings
  }

  /// `major.minor` of `version`, e.g. `3.9`.
  public var majorMinor: String {
    version.split(separator: ".").prefix(2).joined(separator: ".")
  }
}
