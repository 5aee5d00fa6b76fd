import BerthProcess
import Foundation

/// Finds micromamba or conda for `solver: conda`: `micromamba`, then `conda`, on `PATH`.
///
/// Berth never installs them: their packages come from conda channels, which a machine that reaches only
/// PyPI cannot use anyway, so asking for the conda solver where neither exists is an error, not a fallback.
struct CondaTool {
  /// Runs `--version`.
  var runner: any CommandRunning
  /// Environment for child commands; its `PATH` is searched.
  var environment: [String: String]

  /// The first usable solver as an installer, or `nil` when none runs.
  func find() -> EnvironmentInstaller? {
    for name in ["micromamba", "conda"] {
      for path in ExecutableSearch.candidates(named: name, searchPath: environment["PATH"]) {
        guard let result = try? runner.run(Command(path, ["--version"], environment: environment, timeout: .seconds(30))),
          result.succeeded
        else { continue }
        let printed = result.outputLines.last { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? ""
        // micromamba prints `2.0.5`, conda prints `conda 24.9.2`.
        let version = printed.hasPrefix(name) ? printed : "\(name) \(printed)"
        return .conda(path: path, version: version.trimmingCharacters(in: .whitespaces))
      }
    }
    return nil
  }
}
