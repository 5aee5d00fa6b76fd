import BerthModel
import Crypto
import Foundation

/// What a Python environment must contain, normalised so equal content compares equal.
///
/// `requirements` are pip requirement strings sorted by normalised package
/// name; `installerOptions` are pip option lines (`--extra-index-url …`)
/// that must precede them in a requirements file. Warnings describe
/// information lost while normalising; they do not affect the content hash.
public struct PythonEnvironmentSpec: Sendable, Hashable, Codable {
  /// The requested `major.minor` Python version, or `nil` for "any".
  public var pythonVersion: String?
  /// Pip requirement strings, sorted and de-duplicated.
  public var requirements: [String]
  /// Pip option lines such as `--extra-index-url https://…`, in file order.
  public var installerOptions: [String]
  /// Notes about dependencies that were dropped, renamed or loosened.
  public var warnings: [String]
  /// `file:line:col` of the `python=` line, for errors about the interpreter.
  public var pythonLocation: String?
  /// Whether unpinned packages resolve no newer than the newest pin (see `ResolutionEra`).
  public var eraRule: Bool = true
  /// pip constraint lines from the Environment's `pip_constraints`.
  public var constraints: [String] = []
  /// The conda file's text when it is solved by conda itself (`solver: conda`), else `nil`.
  public var condaFileText: String?

  /// Creates a spec; `requirements` are sorted and de-duplicated.
  public init(
    pythonVersion: String?, requirements: [String], installerOptions: [String] = [], warnings: [String] = []
  ) {
    self.pythonVersion = pythonVersion
    self.requirements = RequirementName.sortedUnique(requirements)
    self.installerOptions = installerOptions
    self.warnings = warnings
  }

  /// The text of a pip requirements file for this spec.
  public var requirementsFileText: String {
    (installerOptions + requirements).map { $0 + "\n" }.joined()
  }

  /// The text of a pip constraints file (`-c`) for this spec, or `nil` without constraints.
  public var constraintsFileText: String? {
    constraints.isEmpty ? nil : constraints.map { $0 + "\n" }.joined()
  }

  /// The SHA-256 (lowercase hex) identifying an environment built from this spec.
  ///
  /// Covers the requested Python version, the options and requirements, the
  /// resolution rule and constraints, the conda file for conda solves, the
  /// exact interpreter version (`3.9.18`) and the platform (`linux-x86_64`).
  /// The era's date is not covered: it follows from the pins (PyPI upload times do not change).
  public func contentHash(interpreterVersion: String, platform: String) -> String {
    let digest = SHA256.hash(data: Data(canonicalEncoding(interpreterVersion: interpreterVersion, platform: platform).utf8))
    return Hex.encode(digest)
  }

  /// The stable text that `contentHash` digests: one `key:value` per line.
  public func canonicalEncoding(interpreterVersion: String, platform: String) -> String {
    var lines = [
      "berth-python-environment:v2",
      "python:\(pythonVersion ?? "*")",
      "interpreter:\(interpreterVersion)",
      "platform:\(platform)",
      "resolution:\(eraRule ? ResolutionEra.ruleVersion : "latest")",
    ]
    lines += installerOptions.map { "option:\($0)" }
    lines += requirements.map { "requirement:\($0)" }
    lines += constraints.map { "constraint:\($0)" }
    if let condaFileText {
      lines.append("conda-file:" + SHA256.hash(data: Data(condaFileText.utf8)).map { String(format: "%02x", $0) }.joined())
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
