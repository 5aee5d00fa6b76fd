import BerthPythonSpec
import Foundation
import Testing

@testable import BerthTargetLocal

/// Times builds with empty uv and pip caches; opt in with `BERTH_COLD_BUILD_BENCH=1` (downloads ~100 MB).
@Test(.enabled(if: ProcessInfo.processInfo.environment["BERTH_COLD_BUILD_BENCH"] != nil))
func coldBuildBenchmark() async throws {
  let cache = try Scratch.directory("berth-cold-bench")
  let uvCache = try Scratch.directory("berth-cold-uvcache")
  defer {
    try? FileManager.default.removeItem(atPath: cache)
    try? FileManager.default.removeItem(atPath: uvCache)
  }
  var environment = ProcessInfo.processInfo.environment
  environment["UV_CACHE_DIR"] = uvCache
  environment["PIP_NO_CACHE_DIR"] = "1"
  let spec = try CondaEnvironmentFile.parse(ColdBuildSample.condaFile).pythonEnvironmentSpec()
  let interpreter = try PythonInterpreterLocator().locate(version: spec.pythonVersion)
  print("interpreter \(interpreter)")
  let builder = PythonEnvironmentBuilder(cacheDirectory: cache, environment: environment)
  let tiny = try await builder.build(SharedEnvironment.spec, interpreter: interpreter, onOutput: { print("  | \($0)") })
  print("COLD tiny (incl. uv install, empty caches): \(tiny.duration)")
  let full = try await builder.build(spec, interpreter: interpreter, onOutput: { print("  | \($0)") })
  print("COLD sklearn spec: \(full.duration)")
  let again = try await builder.build(spec, interpreter: interpreter)
  print("WARM sklearn spec: \(again.duration) reused=\(again.reused)")
  #expect(again.reused)

  // The scikit-learn environment serves a real model.
  let folder = try Scratch.directory("berth-cold-bench-serve")
  defer { try? FileManager.default.removeItem(atPath: folder) }
  try Scratch.write(
    """
    import json
    from sklearn.linear_model import LinearRegression
    def init():
        global model
        model = LinearRegression().fit([[0], [1], [2]], [1, 3, 5])
    def run(raw):
        return model.predict(json.loads(raw)["data"]).round(3).tolist()
    """, to: folder + "/score.py")
  let port = try #require(PortProbe.findFreePort())
  let controller = ScoringProcess()
  let handle = try controller.launch(
    ScoringLaunchRequest(
      environment: full, sourceDirectory: folder, entryScript: "score.py", port: port, logFile: folder + "/server.log"))
  let outcome = await controller.waitUntilHealthy(port: port, pid: handle.pid, timeout: .seconds(60))
  print("sklearn server: \(outcome)")
  let response = try LoopbackHTTPClient().postJSON(port: port, body: #"{"data": [[3], [10]]}"#)
  #expect(response.text == "[7.0, 21.0]")
  print("STOP: \(await controller.stop(processGroup: handle.processGroup, grace: .seconds(10)))")
}

/// The conda file of `CondaEnvironmentFileTests` (BerthPythonSpecTests): a typical Azure ML scikit-learn environment.
enum ColdBuildSample {
  static let condaFile = """
    name: diabetes-sklearn-env
    channels:
      - conda-forge
      - defaults
    dependencies:
      - python=3.9
      - numpy=1.26.4
      - scikit-learn==1.5.2
      - scipy=1.13
      - pandas>=2.0,<2.3
      - pip=24.0
      - setuptools
      - pip:
        - inference-schema[numpy-support]==1.8
        - joblib==1.4.2
    """
}
