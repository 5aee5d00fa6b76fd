import BerthProcess
import BerthTargetAPI
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts a service's port proxy (`berth __proxy …`) as a detached process and waits until it reports.
struct ProxyLauncher: Sendable {
  /// The command that runs a proxy, e.g. `[<berth>, "__proxy"]`; the configuration's arguments are appended.
  var command: [String]
  /// The environment the proxy starts from.
  var baseEnvironment: [String: String]
  /// How long it may take to bind and write its first status.
  var timeout: Duration
  var pollInterval: Duration

  /// Starts a proxy for `layout` on `port`, records it in `proxy.json`, and returns once it serves.
  ///
  /// Throws a `TargetError` with the proxy's output when it exits first (its port was taken) or stays silent.
  func start(layout: ServiceLayout, port: Int, at date: Date) async throws -> ProxyRecord {
    guard let program = command.first,
      let executable = ExecutableSearch.resolve(program, searchPath: baseEnvironment["PATH"])
    else {
      throw TargetError("cannot start the port proxy: '\(command.first ?? "")' is not an executable program")
    }
    let configuration = ServiceProxyConfiguration(
      listenPort: port, routeFile: layout.routeFile, statusFile: layout.proxyStatusFile)
    unlink(layout.proxyStatusFile)
    let logFD = open(layout.proxyLogFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard logFD >= 0 else {
      throw TargetError("cannot open '\(layout.proxyLogFile)': \(String(cString: strerror(errno)))")
    }
    defer { close(logFD) }
    var environment = baseEnvironment
    environment.merge(ServiceProcessScan.identity(serviceRoot: layout.root, role: .proxy)) { _, identity in identity }
    let spawn = ChildSpawn(
      executable: executable, arguments: Array(command.dropFirst()) + configuration.arguments, environment: environment,
      workingDirectory: layout.root, stdoutFD: logFD, newSession: true)
    let pid: pid_t
    switch spawn.spawn() {
    case .success(let spawned): pid = spawned
    case .failure(let failure):
      throw TargetError("cannot start the port proxy '\(executable)': \(failure.text)", isRetryable: failure.errno == EAGAIN)
    }
    let record = ProxyRecord(pid: pid, startTime: ProcessLiveness.startTime(pid: pid), port: port, startedAt: date)
    try? AtomicFile.writeJSON(record, to: layout.proxyRecordFile)

    let (timeout, interval, statusFile) = (timeout, pollInterval, layout.proxyStatusFile)
    let reported = await DedicatedThread.run("berth-proxy-start") {
      Self.waitForFirstStatus(pid: pid, statusFile: statusFile, timeout: timeout, interval: interval)
    }
    guard reported else {
      _ = ScoringProcess.stopBlocking(processGroup: pid, grace: .seconds(2))
      unlink(layout.proxyRecordFile)
      let tail = LogTail.lastLines(file: layout.proxyLogFile, count: 20)
      let reason = tail.last(where: { !$0.isEmpty }) ?? "it did not report within \(timeout)"
      throw TargetError(
        "the port proxy of service '\(layout.service)' could not listen on port \(port): \(reason)", logTail: tail)
    }
    return record
  }

  /// True once the status file names `pid`; false when the process exits or `timeout` passes.
  private static func waitForFirstStatus(pid: pid_t, statusFile: String, timeout: Duration, interval: Duration) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if ProxyStatus.read(statusFile)?.pid == pid { return true }
      var status: Int32 = 0
      if waitpid(pid, &status, WNOHANG) == pid || !ProcessLiveness.isAlive(pid: pid) { return false }
      Thread.sleep(forTimeInterval: interval.inSeconds)
    }
    return false
  }
}
