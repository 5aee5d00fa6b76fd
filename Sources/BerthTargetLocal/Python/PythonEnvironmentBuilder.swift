import BerthProcess
import BerthPythonSpec
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds, once per content hash, a virtual environment that contains the scoring server.
///
/// Layout under the cache directory:
/// - `<hash>/` — a finished environment; it carries `berth-environment.json`
///   and appears only through an atomic rename, so it is never half-built;
/// - `<hash>.tmp-<pid>-<n>/` — a build in progress (removed on failure, and
///   swept by the next build of that hash after a crash);
/// - `<hash>.lock` — the `flock` that makes concurrent builders (threads or
///   processes) wait for each other, so a hash is built once;
/// - `.tools/uv/` — uv, installed from PyPI when it is not on `PATH`.
///
/// uv is used when available (or installable), otherwise `python -m venv` and pip.
public struct PythonEnvironmentBuilder: Sendable {
  /// Choices about installers and limits.
  public struct Options: Sendable {
    /// Use uv when it can be found or installed.
    public var preferUV: Bool
    /// Install uv into `<cache>/.tools/uv` when it is not found.
    public var installUVIfMissing: Bool
    /// Stop an installer that runs longer than this.
    public var installTimeout: Duration?
    /// Give up waiting for another builder of the same hash after this.
    public var lockTimeout: Duration?
    /// How many installer output lines a failure carries.
    public var failureTailLineCount: Int

    /// Creates options; the defaults prefer uv and allow 30 minutes per install.
    public init(
      preferUV: Bool = true, installUVIfMissing: Bool = true, installTimeout: Duration? = .seconds(1800),
      lockTimeout: Duration? = .seconds(3600), failureTailLineCount: Int = 20
    ) {
      self.preferUV = preferUV
      self.installUVIfMissing = installUVIfMissing
      self.installTimeout = installTimeout
      self.lockTimeout = lockTimeout
      self.failureTailLineCount = failureTailLineCount
    }
  }

  /// The folder holding all environments.
  public let cacheDirectory: String
  /// Installer choices and limits.
  public let options: Options
  let runner: any CommandRunning
  let environment: [String: String]
  let releaseDates: (any ReleaseDateLooking)?

  /// Creates a builder for the cache at `cacheDirectory`.
  ///
  /// `releaseDates` answers the era rule's question (when was each pin released); by default the
  /// index's JSON simple API, cached under `<cache>/.release-dates`.
  public init(
    cacheDirectory: String, options: Options = Options(), runner: any CommandRunning = SpawnedCommandRunner(),
    environment: [String: String] = ProcessInfo.processInfo.environment,
    releaseDates: (any ReleaseDateLooking)? = nil
  ) {
    self.cacheDirectory = (cacheDirectory as NSString).standardizingPath
    self.options = options
    self.runner = runner
    self.environment = environment
    self.releaseDates = releaseDates
  }

  /// The content hash `spec` gets with `interpreter` on this platform.
  public func hash(of spec: PythonEnvironmentSpec, interpreter: PythonInterpreter) -> String {
    spec.contentHash(interpreterVersion: interpreter.version, platform: PlatformIdentity.current)
  }

  /// The folder an environment with `hash` lives in.
  public func root(forHash hash: String) -> String { cacheDirectory + "/" + hash }

  /// The finished environment for `spec`, if one is already cached; never builds.
  public func existing(_ spec: PythonEnvironmentSpec, interpreter: PythonInterpreter) -> BuiltEnvironment? {
    let hash = hash(of: spec, interpreter: interpreter)
    return isComplete(root(forHash: hash), hash: hash)
      ? BuiltEnvironment(root: root(forHash: hash), hash: hash, reused: true, duration: .zero) : nil
  }

  /// Returns the environment for `spec`, building it first unless it is cached.
  ///
  /// `onOutput` receives progress lines (prefixed `==> `) and installer
  /// output lines, on a background thread. Throws `LocalTargetError` whose
  /// `outputTail` holds the last installer lines when a build fails; no
  /// partial environment is left behind.
  public func build(
    _ spec: PythonEnvironmentSpec, interpreter: PythonInterpreter,
    onOutput: @escaping @Sendable (String) -> Void = { _ in }
  ) async throws -> BuiltEnvironment {
    let builder = self
    return try await DedicatedThread.run("berth-env-build") {
      try builder.buildBlocking(spec, interpreter: interpreter, onOutput: onOutput)
    }
  }

  /// The synchronous form of `build`; blocks the calling thread.
  public func buildBlocking(
    _ spec: PythonEnvironmentSpec, interpreter: PythonInterpreter, onOutput: (String) -> Void = { _ in }
  ) throws -> BuiltEnvironment {
    let clock = ContinuousClock()
    let start = clock.now
    let hash = hash(of: spec, interpreter: interpreter)
    let root = root(forHash: hash)
    if isComplete(root, hash: hash) {
      return BuiltEnvironment(root: root, hash: hash, reused: true, duration: clock.now - start)
    }
    do {
      try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
    } catch {
      throw LocalTargetError(.fileSystem, "Cannot create environment cache '\(cacheDirectory)': \(error.localizedDescription)")
    }
    return try FileLock.withExclusiveLock(
      path: cacheDirectory + "/\(hash).lock", timeout: options.lockTimeout,
      onWait: { onOutput("==> waiting for another build of environment \(hash.prefix(12))") }
    ) {
      if isComplete(root, hash: hash) {
        return BuiltEnvironment(root: root, hash: hash, reused: true, duration: clock.now - start)
      }
      sweepLeftovers(of: hash)
      // Conda bakes its prefix into binaries, so a conda environment is built in place; its marker,
      // written last, is still what makes it complete.
      let inPlace = spec.condaFileText != nil
      if inPlace { try? FileManager.default.removeItem(atPath: root) }
      let staging = inPlace ? root : cacheDirectory + "/\(hash).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      do {
        try populate(staging, finalRoot: root, spec: spec, hash: hash, interpreter: interpreter, onOutput: onOutput)
        if !inPlace { try publish(staging, as: root) }
      } catch {
        try? FileManager.default.removeItem(atPath: staging)
        throw error
      }
      onOutput("==> environment \(hash.prefix(12)) ready at \(root)")
      return BuiltEnvironment(root: root, hash: hash, reused: false, duration: clock.now - start)
    }
  }

  // MARK: - Steps

  private func isComplete(_ root: String, hash: String) -> Bool {
    guard let marker = EnvironmentMarker.read(root: root), marker.hash == hash else { return false }
    return FileManager.default.isExecutableFile(atPath: root + "/bin/python")
      && FileManager.default.isExecutableFile(atPath: root + "/bin/azmlinfsrv")
  }

  /// Removes staging folders left by crashed builds of `hash`; safe because we hold its lock.
  private func sweepLeftovers(of hash: String) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory)) ?? []
    for name in names where name.hasPrefix("\(hash).tmp-") || name.hasPrefix("\(hash).stale-") {
      try? FileManager.default.removeItem(atPath: cacheDirectory + "/" + name)
    }
  }

  private func populate(
    _ staging: String, finalRoot: String, spec: PythonEnvironmentSpec, hash: String, interpreter: PythonInterpreter,
    onOutput: (String) -> Void
  ) throws {
    let clock = ContinuousClock()
    let start = clock.now
    let installer: EnvironmentInstaller
    var requirementsText = spec.requirementsFileText
    if let condaFileText = spec.condaFileText {
      guard let conda = CondaTool(runner: runner, environment: childEnvironment).find() else {
        throw LocalTargetError(
          .environmentBuildFailed,
          "The Environment asks for 'solver: conda', but neither micromamba nor conda is on PATH. Install micromamba (its channels must be reachable), or remove 'solver: conda' to install from PyPI with uv."
        )
      }
      installer = conda
      onOutput("==> creating environment \(hash.prefix(12)) with \(installer.label) from the conda file and its channels")
      let file = cacheDirectory + "/\(hash).environment.yml"
      defer { try? FileManager.default.removeItem(atPath: file) }
      try write(condaFileText, to: file)
      try step(
        "Creating the conda environment", installer.condaCreateCommand(root: staging, file: file), installer: installer,
        onOutput: onOutput)
      // The conda file's own pip section was installed by the solver; only the scoring server may be missing.
      requirementsText = CondaEnvironmentFile.scoringServerPackage + "\n"
    } else {
      installer = chooseInstaller(interpreter: interpreter, onOutput: onOutput)
      onOutput("==> creating Python \(interpreter.version) environment \(hash.prefix(12)) with \(installer.label)")
      let create = installer.createCommand(root: staging, interpreter: interpreter)
      try step("Creating the virtual environment", create, installer: installer, onOutput: onOutput)
    }

    let era = spec.condaFileText == nil ? eraPlan(spec, installer: installer, onOutput: onOutput) : nil
    let requirements = staging + "/berth-requirements.txt"
    try write(requirementsText, to: requirements)
    var constraints: String?
    if let text = spec.constraintsFileText {
      constraints = staging + "/berth-constraints.txt"
      try write(text, to: constraints!)
      onOutput("==> constraints from pip_constraints: \(spec.constraints.joined(separator: " "))")
    }
    onOutput("==> installing \(spec.requirements.count) requirement(s): \(spec.requirements.joined(separator: " "))")
    try step(
      "Installing the requirements",
      installer.installCommand(
        root: staging, requirements: requirements, constraints: constraints, extra: era?.uvArguments ?? []),
      installer: installer, onOutput: onOutput, eraApplied: era != nil)

    guard FileManager.default.isExecutableFile(atPath: staging + "/bin/azmlinfsrv") else {
      throw LocalTargetError(
        .environmentBuildFailed,
        "The environment installed without error but has no 'azmlinfsrv' program; make sure '\(CondaEnvironmentFile.scoringServerPackage)' is not excluded or pinned to a version without it."
      )
    }
    try verifyImports(root: staging, spec: spec, eraApplied: era != nil, onOutput: onOutput)

    let freezeCommand = installer.freezeCommand(root: staging)
    let freeze = try? runner.run(
      Command(freezeCommand.executable, freezeCommand.arguments, environment: childEnvironment, timeout: .seconds(120)))
    try VenvRelocation.rewrite(root: staging, from: staging, to: finalRoot)
    let marker = EnvironmentMarker(
      hash: hash, spec: spec, interpreterPath: interpreter.path, interpreterVersion: interpreter.version,
      platform: PlatformIdentity.current, installer: installer.label,
      installedPackages: freeze.flatMap { $0.succeeded ? $0.outputLines.filter { $0.contains("==") } : nil } ?? [],
      builtAt: Date(), buildSeconds: (clock.now - start).inSeconds, resolution: era?.explanation ?? [])
    do {
      try marker.write(root: staging)
    } catch {
      throw LocalTargetError(.fileSystem, "Cannot write the environment marker in '\(staging)': \(error.localizedDescription)")
    }
  }

  /// Moves the finished staging folder into place, replacing an incomplete leftover.
  private func publish(_ staging: String, as root: String) throws {
    if FileManager.default.fileExists(atPath: root) {
      let stale = root + ".stale-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      if rename(root, stale) == 0 { try? FileManager.default.removeItem(atPath: stale) }
    }
    guard rename(staging, root) == 0 else {
      throw LocalTargetError(
        .fileSystem, "Cannot move the built environment to '\(root)': \(String(cString: strerror(errno))).")
    }
  }

  private func chooseInstaller(interpreter: PythonInterpreter, onOutput: (String) -> Void) -> EnvironmentInstaller {
    guard options.preferUV else { return .pip }
    let tool = UVTool(cacheDirectory: cacheDirectory, runner: runner, environment: childEnvironment)
    if let found = tool.find() { return .uv(path: found.path, version: found.version) }
    guard options.installUVIfMissing else { return .pip }
    onOutput("==> uv not found; installing it into \(tool.installPrefix)")
    do {
      let installed = try tool.install(using: interpreter, onLine: onOutput)
      return .uv(path: installed.path, version: installed.version)
    } catch {
      onOutput("==> could not install uv (\(error)); falling back to venv+pip")
      return .pip
    }
  }

  /// Runs one build step, turning a failure into an error with the output tail.
  private func step(
    _ title: String, _ invocation: (executable: String, arguments: [String]), installer: EnvironmentInstaller,
    onOutput: (String) -> Void, eraApplied: Bool = false
  ) throws {
    let command = Command(
      invocation.executable, invocation.arguments, environment: childEnvironment, workingDirectory: cacheDirectory,
      timeout: options.installTimeout)
    let result = try runner.run(command, onLine: onOutput)
    guard result.succeeded else {
      let tail = result.lastLines(options.failureTailLineCount)
      let reason =
        result.timedOut
        ? "timed out after \(options.installTimeout.map { "\($0)" } ?? "?")"
        : "failed with exit code \(result.exitCode)"
      var hint =
        InstallerOutput.looksUnsatisfiable(tail)
        ? " The requested packages or versions cannot be installed (together); adjust the dependencies in the conda file."
        : ""
      if eraApplied, !hint.isEmpty {
        hint +=
          " Unpinned packages were limited to the era of the pins; pin them, or set 'resolution: latest' on the Environment."
      }
      throw LocalTargetError(
        .environmentBuildFailed, "\(title) \(reason) (\(installer.label)).\(hint)",
        isRetryable: result.timedOut || InstallerOutput.looksTransient(tail), outputTail: tail)
    }
  }

  private func write(_ text: String, to path: String) throws {
    do {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
      throw LocalTargetError(.fileSystem, "Cannot write '\(path)': \(error.localizedDescription)")
    }
  }

  /// The environment installers run with: no leaked virtualenv or Python path, no uv config or downloads.
  var childEnvironment: [String: String] {
    var child = environment
    for key in ["VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH", "CONDA_PREFIX", "UV_PROJECT_ENVIRONMENT"] {
      child.removeValue(forKey: key)
    }
    child["UV_PYTHON_DOWNLOADS"] = "never"
    child["UV_NO_CONFIG"] = "1"
    child["UV_NO_PROGRESS"] = "1"
    child["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    child["PIP_NO_INPUT"] = "1"
    child["PIP_PROGRESS_BAR"] = "off"
    child["PIP_ROOT_USER_ACTION"] = "ignore"
    return child
  }

}
