import BerthProcess
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `azmlinfsrv` as a plain detached process: its own session, output appended to a log file.
///
/// The server outlives the CLI that started it. While that CLI runs the
/// server is its child, so exits are observed with `waitpid`; a later CLI
/// run finds it by pid (and start time) through `ProcessLiveness`.
public struct ScoringProcess: ScoringProcessControlling {
  /// Interval between health probes.
  public var pollInterval: Duration
  /// Time limit of one `GET /` probe.
  public var probeTimeout: Duration

  /// Creates a controller.
  public init(pollInterval: Duration = .milliseconds(200), probeTimeout: Duration = .seconds(2)) {
    self.pollInterval = pollInterval
    self.probeTimeout = probeTimeout
  }

  /// Starts the server described by `request` in a new session and returns its handle.
  ///
  /// Throws a retryable `.portInUse` error when the port is taken, and
  /// `.spawnFailed` when the server program or folders are missing.
  public func launch(_ request: ScoringLaunchRequest) throws -> ScoringProcessHandle {
    let fileManager = FileManager.default
    guard fileManager.isExecutableFile(atPath: request.serverExecutable) else {
      throw LocalTargetError(
        .spawnFailed,
        "The scoring server '\(request.serverExecutable)' does not exist; rebuild the environment (it may have been deleted from the cache)."
      )
    }
    var isDirectory: ObjCBool = false
    guard fileManager.fileExists(atPath: request.sourceDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw LocalTargetError(.spawnFailed, "The source directory '\(request.sourceDirectory)' does not exist.")
    }
    let script =
      request.entryScript.hasPrefix("/") ? request.entryScript : request.sourceDirectory + "/" + request.entryScript
    guard fileManager.fileExists(atPath: script) else {
      throw LocalTargetError(.spawnFailed, "The entry script '\(script)' does not exist.")
    }
    guard PortProbe.isFree(port: request.port) else {
      throw LocalTargetError(
        .portInUse, "Port \(request.port) is already in use on this machine; choose another port or stop what uses it.",
        isRetryable: true)
    }
    let logFD = try openLog(request.logFile)
    defer { close(logFD) }
    let header =
      "\n=== berth: starting azmlinfsrv on 127.0.0.1:\(request.port) at \(ISO8601DateFormatter().string(from: Date())) ===\n"
    _ = header.withCString { write(logFD, $0, strlen($0)) }

    let spawn = ChildSpawn(
      executable: request.pythonExecutable, arguments: request.arguments,
      environment: request.processEnvironment(base: request.baseEnvironment ?? ProcessInfo.processInfo.environment),
      workingDirectory: request.sourceDirectory, stdoutFD: logFD, newSession: true)
    switch spawn.spawn() {
    case .failure(let failure):
      throw LocalTargetError(
        .spawnFailed, "Cannot start '\(request.serverExecutable)': \(failure.text).", isRetryable: failure.errno == EAGAIN)
    case .success(let pid):
      let group = getpgid(pid)
      return ScoringProcessHandle(
        pid: pid, processGroup: group > 0 ? group : pid, startTime: ProcessLiveness.startTime(pid: pid),
        port: request.port, logFile: request.logFile, startedAt: Date())
    }
  }

  /// Polls `GET http://127.0.0.1:<port>/` until it answers 200, the process exits, or `timeout` passes.
  public func waitUntilHealthy(port: Int, pid: Int32, timeout: Duration) async -> StartupOutcome {
    let settings = self
    return await DedicatedThread.run("berth-health-wait") {
      settings.waitUntilHealthyBlocking(port: port, pid: pid, timeout: timeout)
    }
  }

  /// The synchronous form of `waitUntilHealthy`; blocks the calling thread.
  public func waitUntilHealthyBlocking(port: Int, pid: Int32, timeout: Duration) -> StartupOutcome {
    let clock = ContinuousClock()
    let start = clock.now
    let client = LoopbackHTTPClient(timeout: probeTimeout)
    while true {
      if let code = exitStatus(of: pid) { return .exited(code: code) }
      if let response = try? client.get(port: port), response.status == 200 {
        return .healthy(after: clock.now - start)
      }
      if let code = exitStatus(of: pid) { return .exited(code: code) }
      if clock.now - start >= timeout { return .timedOut }
      Thread.sleep(forTimeInterval: pollInterval.inSeconds)
    }
  }

  /// Stops every process of `processGroup`: SIGTERM, up to `grace` to exit, then SIGKILL.
  public func stop(processGroup: Int32, grace: Duration) async -> StopOutcome {
    await DedicatedThread.run("berth-stop") { Self.stopBlocking(processGroup: processGroup, grace: grace) }
  }

  /// The synchronous form of `stop`; blocks the calling thread.
  public static func stopBlocking(processGroup: Int32, grace: Duration) -> StopOutcome {
    guard processGroup > 1 else { return .notRunning }
    let clock = ContinuousClock()
    let start = clock.now
    reapIfChild(processGroup)
    guard !ProcessLiveness.liveMembers(ofProcessGroup: processGroup).isEmpty else { return .notRunning }
    kill(-processGroup, SIGTERM)
    if waitForGroupExit(processGroup, until: start + grace) { return .terminated(after: clock.now - start) }
    kill(-processGroup, SIGKILL)
    if waitForGroupExit(processGroup, until: clock.now + .seconds(5)) { return .killed }
    return .stillRunning(pids: ProcessLiveness.liveMembers(ofProcessGroup: processGroup))
  }

  /// True when `pid` runs and is not a zombie.
  public func isAlive(pid: Int32) -> Bool { ProcessLiveness.isAlive(pid: pid) }

  // MARK: - Internals

  private func openLog(_ path: String) throws -> Int32 {
    let folder = (path as NSString).deletingLastPathComponent
    if !folder.isEmpty {
      try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw LocalTargetError(.fileSystem, "Cannot open log file '\(path)': \(String(cString: strerror(errno))).")
    }
    return fd
  }

  /// The exit status if `pid` has ended: via `waitpid` for our child, via liveness otherwise.
  private func exitStatus(of pid: Int32) -> Int32?? {
    var status: Int32 = 0
    let result = waitpid(pid, &status, WNOHANG)
    if result == pid {
      return SpawnedCommandRunner.wasSignaled(status) ? .some(128 + (status & 0x7f)) : .some((status >> 8) & 0xff)
    }
    if result == 0 { return nil }
    return ProcessLiveness.isAlive(pid: pid) ? nil : .some(nil)
  }

  /// Reaps the group leader if it is our exited child, so it does not linger as a zombie.
  private static func reapIfChild(_ pid: Int32) {
    var status: Int32 = 0
    _ = waitpid(pid, &status, WNOHANG)
  }

  private static func waitForGroupExit(_ group: Int32, until deadline: ContinuousClock.Instant) -> Bool {
    while true {
      reapIfChild(group)
      if ProcessLiveness.liveMembers(ofProcessGroup: group).isEmpty { return true }
      if ContinuousClock.now >= deadline { return false }
      usleep(50_000)
    }
  }

}
