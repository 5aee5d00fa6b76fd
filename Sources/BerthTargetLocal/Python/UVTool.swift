import BerthProcess
import Foundation

/// Finds the `uv` installer, or installs it from PyPI into the environment cache.
struct UVTool {
  /// The environment cache, `<cache>`; uv is installed under `<cache>/.tools/uv`.
  var cacheDirectory: String
  /// Runs pip and `uv --version`.
  var runner: any CommandRunning
  /// Environment for child commands.
  var environment: [String: String]

  /// `<cache>/.tools/uv`, the `--prefix` uv is installed into.
  var installPrefix: String { cacheDirectory + "/.tools/uv" }

  /// A usable uv: `uv` on `PATH`, else `<cache>/.tools/uv/bin/uv`; returns path and version text.
  func find() -> (path: String, version: String)? {
    let candidates =
      ExecutableSearch.candidates(named: "uv", searchPath: environment["PATH"]) + [installPrefix + "/bin/uv"]
    for path in candidates where FileManager.default.isExecutableFile(atPath: path) {
      if let result = try? runner.run(Command(path, ["--version"], environment: environment, timeout: .seconds(20))),
        result.succeeded, let version = result.outputLines.first(where: { $0.hasPrefix("uv ") })
      {
        return (path, version.split(separator: " ").prefix(2).joined(separator: " "))
      }
    }
    return nil
  }

  /// Installs uv with `<interpreter> -m pip install --prefix`, atomically, under a lock.
  func install(using interpreter: PythonInterpreter, onLine: (String) -> Void) throws -> (path: String, version: String) {
    let tools = cacheDirectory + "/.tools"
    try FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: true)
    return try FileLock.withExclusiveLock(path: tools + "/uv.lock", timeout: .seconds(600)) {
      if let found = find() { return found }
      let staging = tools + "/uv.tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      defer { try? FileManager.default.removeItem(atPath: staging) }
      let result = try runner.run(
        Command(
          interpreter.path,
          [
            "-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--no-warn-script-location",
            "--prefix", staging, "uv",
          ],
          environment: environment, timeout: .seconds(600)),
        onLine: onLine)
      // Debian-patched Pythons put `--prefix` installs under `<prefix>/local`.
      if !FileManager.default.isExecutableFile(atPath: staging + "/bin/uv"),
        FileManager.default.isExecutableFile(atPath: staging + "/local/bin/uv")
      {
        try? FileManager.default.createDirectory(atPath: staging + "/bin", withIntermediateDirectories: true)
        try? FileManager.default.moveItem(atPath: staging + "/local/bin/uv", toPath: staging + "/bin/uv")
      }
      guard result.succeeded, FileManager.default.isExecutableFile(atPath: staging + "/bin/uv") else {
        throw LocalTargetError(
          .toolInstallFailed, "Installing uv with '\(interpreter.path) -m pip' failed (exit \(result.exitCode)).",
          isRetryable: true, outputTail: result.lastLines(20))
      }
      try? FileManager.default.removeItem(atPath: installPrefix)
      guard rename(staging, installPrefix) == 0 else {
        throw LocalTargetError(.fileSystem, "Cannot move uv into '\(installPrefix)': \(String(cString: strerror(errno))).")
      }
      guard let found = find() else {
        throw LocalTargetError(.toolInstallFailed, "uv was installed into '\(installPrefix)' but does not run.")
      }
      return found
    }
  }
}
