import BerthPythonSpec
import Foundation

@testable import BerthTargetLocal

/// The one scoring environment the process tests share, built on first use.
///
/// Lives in `$TMPDIR/berth-test-envcache` so re-runs reuse it; on a fresh
/// machine it is installed from PyPI (uv, installed with pip if missing).
enum SharedEnvironment {
  /// The cache folder shared across test runs.
  static let cacheDirectory = NSTemporaryDirectory() + "berth-test-envcache"

  /// The smallest spec that runs the scoring server.
  static let spec = PythonEnvironmentSpec(pythonVersion: nil, requirements: ["azureml-inference-server-http"])

  /// The default interpreter.
  static func interpreter() throws -> PythonInterpreter {
    try PythonInterpreterLocator().locate(version: nil)
  }

  private static let task = Task<BuiltEnvironment, any Error> {
    try await PythonEnvironmentBuilder(cacheDirectory: cacheDirectory).build(spec, interpreter: interpreter())
  }

  /// The built environment (built once per test process).
  static func built() async throws -> BuiltEnvironment { try await task.value }
}
