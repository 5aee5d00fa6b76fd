import BerthProcess
import Foundation

/// uv and a real interpreter for builds outside the local target (the image builder's dependencies layer).
public struct UVProvisioning: Sendable {
  /// The environment cache, where uv is installed when it is not on `PATH`.
  public var cacheDirectory: String
  public var environment: [String: String]

  public init(cacheDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
    self.cacheDirectory = cacheDirectory
    self.environment = environment
  }

  /// uv from `PATH` or the cache (installed there with pip when missing) and the real path of `python3` (not a shim).
  public func locate() throws -> (uv: String, python: String) {
    let runner = SpawnedCommandRunner()
    let interpreter = try PythonInterpreterLocator(runner: runner, environment: environment).locate(version: nil)
    let tool = UVTool(cacheDirectory: cacheDirectory, runner: runner, environment: environment)
    if let found = tool.find() { return (found.path, interpreter.path) }
    return (try tool.install(using: interpreter, onLine: { _ in }).path, interpreter.path)
  }
}
