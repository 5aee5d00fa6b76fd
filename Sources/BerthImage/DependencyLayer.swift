import BerthProcess
import BerthPythonSpec
import Foundation

/// The dependencies layer: the conda file's pip requirements installed by uv for the base image's platform and Python.
///
/// `uv pip install --target … --python-platform … --python-version …` resolves and unpacks wheels for the image
/// without running its Python, so the build needs no container. uv's own `bin/` scripts name this machine's
/// interpreter and are left out; `azmlinfsrv` gets a launcher that uses the image's `python3`.
struct DependencyLayer: Sendable {
  var spec: PythonEnvironmentSpec
  /// `3.11`.
  var pythonVersion: String
  /// uv's `--python-platform`, e.g. `x86_64-manylinux_2_28`.
  var uvPlatform: String

  /// Digest of the requirements, Python version and platform: the layer's cache key.
  var key: String {
    Digest.sha256(
      "berth-dependency-layer:v1\n" + spec.canonicalEncoding(interpreterVersion: pythonVersion, platform: uvPlatform))
  }

  /// uv's platform for an OCI platform (manylinux 2.28 wheels run on Debian 10+, Ubuntu 18.10+, RHEL 8+).
  static func uvPlatform(for platform: Platform) throws -> String {
    switch (platform.os, platform.architecture) {
    case ("linux", "amd64"): return "x86_64-manylinux_2_28"
    case ("linux", "arm64"): return "aarch64-manylinux_2_28"
    default:
      throw ImageBuildError(
        "base images for \(platform.os)/\(platform.architecture) are not supported (linux/amd64, linux/arm64)")
    }
  }

  /// The era bounds of the spec (the same rule as local environments), printed; `nil` when none apply.
  func era(releaseDates: (any ReleaseDateLooking)?, progress: (String) -> Void) throws -> ResolutionEra.Plan? {
    guard spec.eraRule, !ResolutionEra.pins(in: spec).isEmpty else { return nil }
    guard let releaseDates else {
      progress("warning: era rule not applied: this image builder has no release dates to read")
      return nil
    }
    do {
      let plan = try ResolutionEra.plan(for: spec, lookup: releaseDates)
      for line in plan?.explanation ?? [] { progress(line) }
      return plan
    } catch {
      throw ImageBuildError("cannot read the release dates of the pinned packages: \(error)", isRetryable: true)
    }
  }

  /// Installs into a scratch folder and returns the tree; the caller caches the written layer.
  func tree(
    uv: String, python: String?, scratch: String, environment: [String: String], era: ResolutionEra.Plan? = nil,
    progress: (String) -> Void
  ) throws -> LayerTree {
    let target = scratch + "/python"
    try? FileManager.default.removeItem(atPath: scratch)
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    let requirements = scratch + "/requirements.txt"
    try spec.requirementsFileText.write(toFile: requirements, atomically: true, encoding: .utf8)
    var arguments = [
      "pip", "install", "--quiet", "--target", target, "--python-platform", uvPlatform, "--python-version", pythonVersion,
      "--no-build", "-r", requirements,
    ]
    if let constraints = spec.constraintsFileText {
      try constraints.write(toFile: scratch + "/constraints.txt", atomically: true, encoding: .utf8)
      arguments += ["-c", scratch + "/constraints.txt"]
    }
    arguments += era?.uvArguments ?? []
    if let python { arguments += ["--python", python] }
    progress("installing \(spec.requirements.count) requirements with uv for Python \(pythonVersion) (\(uvPlatform))")
    let (status, output) = try Self.run(uv, arguments, environment: environment)
    guard status == 0 else {
      throw ImageBuildError(
        "uv could not install the dependencies for Python \(pythonVersion) on \(uvPlatform) (exit \(status))",
        isRetryable: output.contains { $0.contains("network") || $0.contains("timed out") },
        outputTail: Array(output.suffix(20)))
    }
    var tree = LayerTree()
    try tree.add(source: target, at: ImageLayout.pythonPath) { path in
      path == String(ImageLayout.pythonPath.dropFirst()) + "/bin" || SourceLayers.isNoise(path)
    }
    tree.addBytes(ImageLayout.launcher, Data(ImageLayout.launcherScript.utf8), executable: true)
    return tree
  }

  /// How long one dependency install may take before it is stopped (a hung index or a stuck build).
  static let installTimeout = Duration.seconds(30 * 60)

  /// Runs a tool to completion; returns its exit status and output lines (stdout and stderr together).
  static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> (Int32, [String]) {
    let result: CommandResult
    do {
      result = try SpawnedCommandRunner().run(
        Command(executable, arguments, environment: environment, timeout: installTimeout))
    } catch let error as CommandError {
      throw ImageBuildError(error.message, isRetryable: error.isRetryable)
    }
    if result.timedOut {
      throw ImageBuildError(
        "'\(executable)' did not finish within \(Int(installTimeout.inSeconds / 60)) minutes and was stopped",
        isRetryable: true, outputTail: result.lastLines(20))
    }
    return (result.exitCode, result.outputLines)
  }
}
