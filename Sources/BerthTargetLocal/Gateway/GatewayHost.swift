import BerthGateway
import BerthProcess
import BerthTargetAPI
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One gateway on this machine (an endpoint's, or a service's own): its secrets, its configuration, its process.
///
/// Writers change `endpoint.json` or one `deployments/<name>.json`, then `compose()` rewrites `gateway.json`
/// under a lock and `serve(digest:)` makes sure a gateway process serves exactly that file: it starts one, or
/// sends SIGHUP to the running one and waits until its listening file names the new digest.
struct GatewayHost: Sendable {
  let layout: GatewayLayout
  /// The command that runs a gateway, e.g. `[<berth>, "gateway", "serve"]`; `--config FILE` is appended.
  let command: [String]
  let baseEnvironment: [String: String]
  let timings: LocalTargetTimings

  // MARK: - Files

  /// The endpoint's definition, if it was ever written.
  func definition() -> EndpointDefinition? {
    AtomicFile.readJSON(EndpointDefinition.self, from: layout.definitionFile)
  }

  /// Creates the folders (owner-only: the data folder holds scored inputs) and writes the definition.
  func write(_ definition: EndpointDefinition) throws {
    do {
      for folder in [layout.root, layout.deploymentsDirectory, layout.dataDirectory] {
        try FileManager.default.createDirectory(
          atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      }
      try AtomicFile.writeJSON(definition, to: layout.definitionFile)
    } catch {
      throw TargetError("cannot write the gateway files under '\(layout.root)': \(error)")
    }
  }

  /// Creates the secret the auth mode needs when it does not exist yet (never replaces one) and returns its
  /// fingerprint.
  @discardableResult
  func ensureSecrets(for mode: AuthMode) throws -> String? {
    do {
      switch mode {
      case .key where !FileManager.default.fileExists(atPath: layout.keysFile):
        try SecretFiles.writeKeys(EndpointKeys.generate(), to: layout.keysFile)
      case .amlToken where !FileManager.default.fileExists(atPath: layout.signingKeyFile):
        try SecretFiles.writeNewSigningKey(to: layout.signingKeyFile)
      default: break
      }
    } catch {
      throw TargetError("cannot create the credentials of '\(layout.root)': \(error)")
    }
    return layout.fingerprint(mode)
  }

  /// The deployments registered now, sorted by name.
  func deployments() -> [GatewayConfiguration.Deployment] {
    let files = (try? FileManager.default.contentsOfDirectory(atPath: layout.deploymentsDirectory)) ?? []
    return files.filter { $0.hasSuffix(".json") }.sorted().compactMap {
      AtomicFile.readJSON(GatewayConfiguration.Deployment.self, from: layout.deploymentsDirectory + "/" + $0)
    }
  }

  /// Adds or replaces one deployment's entry.
  func register(_ deployment: GatewayConfiguration.Deployment) throws {
    do {
      try FileManager.default.createDirectory(
        atPath: layout.deploymentsDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
      try AtomicFile.writeJSON(deployment, to: layout.deploymentFile(deployment.name))
    } catch {
      throw TargetError("cannot register deployment '\(deployment.name)' with the gateway in '\(layout.root)': \(error)")
    }
  }

  /// Removes one deployment's entry.
  func unregister(_ name: String) {
    unlink(layout.deploymentFile(name))
  }

  /// Rewrites `gateway.json` from the definition and the registered deployments; returns the digest of its bytes.
  func compose() throws -> String {
    try FileLock.withExclusiveLock(path: layout.lockFile, timeout: .seconds(60)) {
      guard let definition = definition() else {
        throw TargetError("the gateway in '\(layout.root)' has no endpoint.json; apply its endpoint first")
      }
      let configuration = GatewayComposition.configuration(definition, deployments: deployments(), layout: layout)
      let problems = configuration.problems
      guard problems.isEmpty else {
        throw TargetError("the gateway configuration of '\(definition.name)' is not valid: " + problems.joined(separator: "; "))
      }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      let data = try encoder.encode(configuration)
      do {
        try AtomicFile.write(data, to: layout.configurationFile)
      } catch {
        throw TargetError("\(error)")
      }
      return ListeningRecord.digest(of: data)
    }
  }

  // MARK: - The process

  /// The gateway process of this folder, if one runs: the recorded one, else one the process scan finds (a run
  /// killed before recording it). `adopt` records a found one; observation and validation only read.
  func runningProcess(adopt: Bool = false) -> GatewayProcessRecord? {
    if let record = GatewayProcessRecord.read(layout.processRecordFile), record.isAlive { return record }
    let found = ServiceProcessScan.scan(serviceRoot: layout.ownerRoot).first { $0.role == .gateway }
    guard let found else { return nil }
    let record = GatewayProcessRecord(
      pid: found.processGroup, startTime: ProcessLiveness.startTime(pid: found.processGroup), startedAt: Date())
    if adopt { try? AtomicFile.writeJSON(record, to: layout.processRecordFile) }
    return record
  }

  /// What the running gateway last wrote to its listening file, if it is the running one.
  func listening(_ process: GatewayProcessRecord) -> ListeningRecord? {
    guard let record = ListeningRecord.read(layout.listeningFile), record.pid == process.pid else { return nil }
    return record
  }

  /// Makes a gateway serve the configuration with `digest` on the definition's address: starts one, or reloads
  /// the running one (SIGHUP), or — when the address or port changed, which needs a new socket — replaces it.
  func serve(digest: String, progress: @Sendable (String) -> Void) async throws -> GatewayProcessRecord {
    guard let definition = definition() else { throw TargetError("no endpoint.json in '\(layout.root)'") }
    if let process = runningProcess(adopt: true) {
      let current = listening(process)
      let sameSocket =
        current.map { $0.port == definition.port && sameAddress($0.address, definition.listenAddress) } ?? false
      if sameSocket {
        kill(process.pid, SIGHUP)
        let start = ContinuousClock.now
        guard await waitFor(pid: process.pid, digest: digest, timeout: timings.switchTimeout) else {
          throw TargetError(
            "the gateway of '\(definition.name)' (pid \(process.pid)) did not load its new configuration within \(timings.switchTimeout); see \(layout.logFile)",
            isRetryable: true, logTail: LogTail.lastLines(file: layout.logFile, count: 20))
        }
        progress(
          "gateway on port \(definition.port) (pid \(process.pid)) reloaded in \(RevisionStarter.milliseconds(ContinuousClock.now - start))"
        )
        return process
      }
      progress(
        "the gateway (pid \(process.pid)) listens elsewhere; replacing it to listen on \(definition.listenAddress):\(definition.port)"
      )
      _ = await DedicatedThread.run("berth-gateway-stop") { [grace = timings.stopGrace] in
        ScoringProcess.stopBlocking(processGroup: process.pid, grace: grace)
      }
    }
    if !PortProbe.isFree(port: definition.port) {
      throw TargetError(
        "port \(definition.port) is in use by another program on this machine; stop it or set another 'port' for '\(definition.name)'"
      )
    }
    let process = try start()
    guard await waitFor(pid: process.pid, digest: digest, timeout: timings.gatewayStartTimeout) else {
      _ = ScoringProcess.stopBlocking(processGroup: process.pid, grace: .seconds(2))
      unlink(layout.processRecordFile)
      let tail = LogTail.lastLines(file: layout.logFile, count: 20)
      let reason = tail.last(where: { !$0.isEmpty }) ?? "it did not report within \(timings.gatewayStartTimeout)"
      throw TargetError(
        "the gateway of '\(definition.name)' could not listen on \(definition.listenAddress):\(definition.port): \(reason)",
        logTail: tail)
    }
    progress(
      "gateway listening on \(definition.listenAddress):\(definition.port) (pid \(process.pid), auth \(definition.authMode.rawValue))"
    )
    return process
  }

  /// Starts `berth gateway serve --config gateway.json` detached: own session, output appended to `gateway.log`.
  private func start() throws -> GatewayProcessRecord {
    guard let program = command.first,
      let executable = ExecutableSearch.resolve(program, searchPath: baseEnvironment["PATH"])
    else {
      throw TargetError("cannot start the gateway: '\(command.first ?? "")' is not an executable program")
    }
    unlink(layout.listeningFile)
    let logFD = open(layout.logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard logFD >= 0 else { throw TargetError("cannot open '\(layout.logFile)': \(String(cString: strerror(errno)))") }
    defer { close(logFD) }
    var environment = baseEnvironment
    environment.merge(ServiceProcessScan.identity(serviceRoot: layout.ownerRoot, role: .gateway)) { _, identity in identity }
    let spawn = ChildSpawn(
      executable: executable, arguments: Array(command.dropFirst()) + ["--config", layout.configurationFile],
      environment: environment, workingDirectory: layout.root, stdoutFD: logFD, newSession: true)
    switch spawn.spawn() {
    case .success(let pid):
      let record = GatewayProcessRecord(pid: pid, startTime: ProcessLiveness.startTime(pid: pid), startedAt: Date())
      try? AtomicFile.writeJSON(record, to: layout.processRecordFile)
      return record
    case .failure(let failure):
      throw TargetError("cannot start the gateway '\(executable)': \(failure.text)", isRetryable: failure.errno == EAGAIN)
    }
  }

  /// Polls the listening file until `pid` reports `digest`; false when it exits or `timeout` passes.
  private func waitFor(pid: Int32, digest: String, timeout: Duration) async -> Bool {
    let (file, interval) = (layout.listeningFile, timings.pollInterval)
    return await DedicatedThread.run("berth-gateway-wait") {
      let deadline = ContinuousClock.now + timeout
      while ContinuousClock.now < deadline {
        if let record = ListeningRecord.read(file), record.pid == pid, record.configurationSHA256 == digest { return true }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid || !ProcessLiveness.isAlive(pid: pid) { return false }
        Thread.sleep(forTimeInterval: interval.inSeconds)
      }
      return false
    }
  }

  private func sameAddress(_ bound: String, _ wanted: String) -> Bool {
    bound == wanted || (wanted == "localhost" && bound == "127.0.0.1")
  }

  /// Stops the gateway (it stops accepting and lets answers in flight finish); true when nothing of it survived.
  func stop() async -> Bool {
    var groups = Set(ServiceProcessScan.scan(serviceRoot: layout.ownerRoot).filter { $0.role == .gateway }.map(\.processGroup))
    if let record = GatewayProcessRecord.read(layout.processRecordFile), record.isAlive { groups.insert(record.pid) }
    var survived = false
    for group in groups.sorted() {
      let outcome = await DedicatedThread.run("berth-gateway-stop") { [grace = timings.stopGrace] in
        ScoringProcess.stopBlocking(processGroup: group, grace: grace)
      }
      if case .stillRunning = outcome { survived = true }
    }
    return !survived
  }

  // MARK: - Draining

  /// Requests in flight from the gateway to `upstream` (`host:port`), read from its `/metrics`; nil when unknown.
  func inFlight(upstream: String) -> Int? {
    guard let definition = definition(), definition.connectAddress == "127.0.0.1",
      let response = try? LoopbackHTTPClient(timeout: .seconds(2)).get(port: definition.port, path: "/metrics"),
      response.status == 200
    else { return nil }
    return Self.inFlight(upstream: upstream, metrics: String(decoding: response.body, as: UTF8.self))
  }

  /// `berth_gateway_upstream_in_flight{upstream="…"} N` from Prometheus text; 0 when the upstream is not listed.
  static func inFlight(upstream: String, metrics: String) -> Int {
    let prefix = "berth_gateway_upstream_in_flight{upstream=\"\(upstream)\"} "
    for line in metrics.split(separator: "\n") where line.hasPrefix(prefix) {
      return Int(Double(line.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)) ?? 0)
    }
    return 0
  }

  /// Waits (bounded) until no request is in flight to any of `upstreams`; true when they drained.
  func drain(_ upstreams: [String], timeout: Duration) async -> Bool {
    guard !upstreams.isEmpty else { return true }
    let interval = timings.pollInterval
    return await DedicatedThread.run("berth-gateway-drain") {
      let deadline = ContinuousClock.now + timeout
      let started = ContinuousClock.now
      while true {
        let counts = upstreams.map { inFlight(upstream: $0) }
        if counts.allSatisfy({ $0 == 0 }) { return true }
        // Metrics out of reach (a gateway on a non-loopback address): a short grace instead of the whole timeout.
        if counts.contains(nil) && ContinuousClock.now - started > .seconds(1) { return false }
        if ContinuousClock.now >= deadline { return false }
        Thread.sleep(forTimeInterval: max(interval.inSeconds, 0.05))
      }
    }
  }
}
