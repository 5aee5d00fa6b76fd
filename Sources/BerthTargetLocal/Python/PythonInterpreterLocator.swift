import BerthProcess
import Foundation

/// Finds a Python interpreter for a requested `major.minor` version.
///
/// Search order: `pythonX.Y` on `PATH`, then
/// `$PYENV_ROOT/versions/X.Y*/bin/python3` (newest patch first, default
/// root `~/.pyenv`); `python3` on `PATH` only when no version is requested.
/// A requested version the machine lacks is an error, never another
/// version: packages pinned for 3.10 may not exist for 3.12. (uv's managed
/// Pythons would download from outside PyPI, so they are not used.) Every
/// candidate is executed to learn its real path and exact version, so pyenv
/// shims that fail for versions that are not active are skipped.
public struct PythonInterpreterLocator: Sendable {
  private let runner: any CommandRunning
  private let environment: [String: String]

  /// Creates a locator that runs candidates with `runner` under `environment`.
  public init(
    runner: any CommandRunning = SpawnedCommandRunner(),
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) {
    self.runner = runner
    self.environment = environment
  }

  /// Returns an interpreter for `version` (`3.9`, or `nil` for the default `python3`).
  public func locate(version requested: String?) throws -> PythonInterpreter {
    let majorMinor = requested.map { $0.split(separator: ".").prefix(2).joined(separator: ".") }
    if let majorMinor {
      for candidate in candidates(for: majorMinor) {
        if let found = probe(candidate), found.majorMinor == majorMinor { return found }
      }
      let available = installedVersions()
      throw LocalTargetError(
        .interpreterNotFound,
        "Python \(majorMinor) is not installed on this machine (looked for python\(majorMinor) on PATH and in \(pyenvRoot)/versions\(available.isEmpty ? "" : "; found \(available.joined(separator: ", "))")). Berth does not substitute another version. Install it (for example 'pyenv install \(majorMinor)') or change 'python=' in the conda file."
      )
    }
    for candidate in ExecutableSearch.candidates(named: "python3", searchPath: environment["PATH"]) {
      if let found = probe(candidate) { return found }
    }
    throw LocalTargetError(
      .interpreterNotFound,
      "No usable Python interpreter found\(majorMinor.map { " for version \($0)" } ?? ""): looked for python\(majorMinor ?? "3") and python3 on PATH and in \(pyenvRoot)/versions. Install Python (for example 'pyenv install \(majorMinor ?? "3.11")') and retry."
    )
  }

  /// Executables that might be Python `majorMinor`, in preference order.
  func candidates(for majorMinor: String) -> [String] {
    var result = ExecutableSearch.candidates(named: "python\(majorMinor)", searchPath: environment["PATH"])
    let versionsDirectory = pyenvRoot + "/versions"
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: versionsDirectory)) ?? []
    let matching = entries.filter { $0 == majorMinor || $0.hasPrefix(majorMinor + ".") }
      .sorted { Self.patchNumber($0, after: majorMinor) > Self.patchNumber($1, after: majorMinor) }
    for entry in matching {
      for name in ["python3", "python\(majorMinor)", "python"] {
        let path = "\(versionsDirectory)/\(entry)/bin/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) {
          result.append(path)
          break
        }
      }
    }
    return result
  }

  /// `major.minor` versions under `$PYENV_ROOT/versions`, for the error message.
  private func installedVersions() -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: pyenvRoot + "/versions")) ?? []
    let versions = Set(
      entries.compactMap { entry -> String? in
        let parts = entry.split(separator: ".")
        guard parts.count >= 2, parts[0] == "3", Int(parts[1]) != nil else { return nil }
        return "\(parts[0]).\(parts[1])"
      })
    return versions.sorted { Int($0.dropFirst(2))! < Int($1.dropFirst(2))! }
  }

  private var pyenvRoot: String {
    environment["PYENV_ROOT"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.pyenv")
  }

  private static func patchNumber(_ entry: String, after majorMinor: String) -> Int {
    Int(entry.dropFirst(majorMinor.count + 1).prefix { $0.isNumber }) ?? -1
  }

  /// Runs `path` to learn its real executable and version; `nil` if it does not run.
  private func probe(_ path: String) -> PythonInterpreter? {
    let script = "import sys; print('BERTH-PY', sys.executable, '%d.%d.%d' % sys.version_info[:3])"
    guard
      let result = try? runner.run(
        Command(path, ["-c", script], environment: environment, timeout: .seconds(20))),
      result.succeeded,
      let line = result.outputLines.last(where: { $0.hasPrefix("BERTH-PY ") })
    else { return nil }
    let fields = line.dropFirst("BERTH-PY ".count)
    guard let space = fields.lastIndex(of: " ") else { return nil }
    let executable = String(fields[..<space])
    let version = String(fields[fields.index(after: space)...])
    return PythonInterpreter(path: executable.isEmpty ? path : executable, version: version)
  }
}
