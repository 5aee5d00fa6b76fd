import BerthProcess
import BerthTargetAPI
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A revision that answers `GET /` on its private port.
struct StartedRevision: Sendable {
  var layout: RevisionLayout
  var handle: ScoringProcessHandle
  /// `AZUREML_MODEL_DIR`, if the service has models.
  var modelDirectory: String?
  /// True when it was already running (an earlier run started it) and was kept.
  var adopted: Bool
  /// How long it took to become healthy, when started now.
  var healthyAfter: Duration?
  /// A running copy of the same revision that could not be kept (unrecorded or unhealthy), moved aside to be retired.
  var displaced: ServiceInventory.Revision? = nil
}

/// Starts one revision of a service on a free private port and waits until it is healthy.
///
/// On failure the half-started revision is stopped and removed, its log is
/// kept as `failed-start.log`, and the error carries the log's last 40 lines;
/// whatever served before is not touched.
struct RevisionStarter: Sendable {
  let provider: LocalTargetProvider
  let deployment: ServiceDeployment
  let service: ServiceLayout
  let progress: @Sendable (String) -> Void

  /// Keeps a healthy, already running copy of the revision or starts a fresh one.
  func startOrAdopt(
    environment: BuiltEnvironment, settings: LocalDeploymentSettings, inventory: ServiceInventory, avoiding ports: Set<Int>
  ) async throws -> StartedRevision {
    let layout = service.revision(deployment.revision)
    let folderName = (layout.root as NSString).lastPathComponent
    let modelDirectory = ModelLayout.modelDirectory(for: deployment.models, modelsRoot: layout.modelsRoot)
    if let existing = inventory.revision(folderName) {
      if existing.isRecordedServerAlive, let handle = existing.handle, await isHealthy(port: handle.port) {
        progress("revision \(deployment.revision) already runs on internal port \(handle.port) (pid \(handle.pid)); keeping it")
        return StartedRevision(layout: layout, handle: handle, modelDirectory: modelDirectory, adopted: true, healthyAfter: nil)
      }
      if let displaced = displace(existing, layout: layout) {
        var started = try await start(
          layout: layout, modelDirectory: modelDirectory, environment: environment, settings: settings,
          avoiding: ports.union(displaced.port.map { [$0] } ?? []))
        started.displaced = displaced
        return started
      }
      _ = await provider.stop(processGroups: existing.processGroups)
      provider.removeRevisionFolder(layout)
    }
    return try await start(
      layout: layout, modelDirectory: modelDirectory, environment: environment, settings: settings, avoiding: ports)
  }

  /// Moves a still-running copy of the revision out of the way, so it serves until the new copy takes over.
  ///
  /// `nil` when nothing of it runs or the folder cannot be moved; the caller then stops it first.
  private func displace(_ existing: ServiceInventory.Revision, layout: RevisionLayout) -> ServiceInventory.Revision? {
    guard !existing.processGroups.isEmpty, existing.hasFolder else { return nil }
    let name = existing.name + "-replaced-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    guard rename(layout.root, service.revision(name).root) == 0 else { return nil }
    progress("revision \(deployment.revision) runs but cannot be kept (unrecorded or unhealthy); starting a fresh copy beside it")
    var displaced = existing
    displaced.name = name
    return displaced
  }

  private func start(
    layout: RevisionLayout, modelDirectory: String?, environment: BuiltEnvironment, settings: LocalDeploymentSettings,
    avoiding ports: Set<Int>
  ) async throws -> StartedRevision {
    do {
      try FileManager.default.createDirectory(atPath: layout.root, withIntermediateDirectories: true)
      try FileManager.default.createDirectory(
        atPath: layout.controlDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw TargetError("cannot create '\(layout.root)': \(error.localizedDescription)")
    }
    do {
      try ModelLayout.link(deployment.models, into: layout.modelsRoot)
    } catch {
      provider.removeRevisionFolder(layout)
      throw error
    }
    guard let port = Self.freePort(avoiding: ports) else {
      provider.removeRevisionFolder(layout)
      throw TargetError("no free port for revision \(deployment.revision) on this machine", isRetryable: true)
    }
    progress("starting revision \(deployment.revision) on internal port \(port)…")
    let request = ScoringLaunchRequest(
      environment: environment, sourceDirectory: deployment.sourceDirectory, entryScript: deployment.entryScript,
      modelDirectory: modelDirectory, port: port, workerCount: settings.workerCount,
      scoringTimeoutMs: settings.scoringTimeoutMs, logFile: layout.serverLogFile, baseEnvironment: provider.baseEnvironment,
      extraEnvironment: environmentVariables(layout))
    let handle: ScoringProcessHandle
    do {
      handle = try provider.scoring.launch(request)
    } catch let error as LocalTargetError {
      provider.removeRevisionFolder(layout)
      throw error.targetError
    }
    try? AtomicFile.writeJSON(handle, to: layout.serverRecordFile)
    let outcome = await provider.scoring.waitUntilHealthy(port: port, pid: handle.pid, timeout: settings.waitTimeout)
    guard case .healthy(let after) = outcome else {
      throw await failure(layout: layout, handle: handle, outcome: outcome, waited: settings.waitTimeout)
    }
    progress("healthy after \(Self.seconds(after))")
    return StartedRevision(layout: layout, handle: handle, modelDirectory: modelDirectory, adopted: false, healthyAfter: after)
  }

  /// Server defaults, then the service's variables, then the identity the process scan looks for.
  private func environmentVariables(_ layout: RevisionLayout) -> [String: String] {
    var variables = ["WORKER_PRELOAD": "true", "XDG_RUNTIME_DIR": layout.controlDirectory]
    variables.merge(deployment.environmentVariables) { _, service in service }
    let identity = ServiceProcessScan.identity(
      serviceRoot: service.root, role: .revision, revision: (layout.root as NSString).lastPathComponent)
    variables.merge(identity) { _, identity in identity }
    return variables
  }

  /// Stops and removes a revision that did not become healthy; returns the error to throw.
  private func failure(
    layout: RevisionLayout, handle: ScoringProcessHandle, outcome: StartupOutcome, waited: Duration
  ) async -> TargetError {
    _ = await provider.stop(processGroups: [handle.processGroup])
    let tail = LogTail.lastLines(file: layout.serverLogFile, count: 40)
    try? FileManager.default.removeItem(atPath: service.failedStartLog)
    try? FileManager.default.copyItem(atPath: layout.serverLogFile, toPath: service.failedStartLog)
    provider.removeRevisionFolder(layout)
    let reason =
      switch outcome {
      case .exited(let code?) where code == 3: "init() failed (exit code 3)"
      case .exited(let code?) where code > 128: "the server was killed by signal \(code - 128)"
      case .exited(let code?): "the server exited with code \(code)"
      case .exited(nil): "the server exited"
      case .timedOut: "GET / did not answer 200 within \(Self.seconds(waited)) (wait_timeout)"
      case .healthy: "unexpected health"
      }
    return TargetError(
      "revision \(deployment.revision) failed to start: \(reason); log: \(service.failedStartLog)", logTail: tail)
  }

  private func isHealthy(port: Int) async -> Bool {
    await DedicatedThread.run("berth-probe") {
      (try? LoopbackHTTPClient(timeout: .seconds(2)).get(port: port))?.status == 200
    }
  }

  /// A free port that is none of `ports` (the public port, other revisions).
  static func freePort(avoiding ports: Set<Int>) -> Int? {
    for _ in 0..<16 {
      if let port = PortProbe.findFreePort(), !ports.contains(port) { return port }
    }
    return nil
  }

  /// `85 ms`.
  static func milliseconds(_ duration: Duration) -> String {
    String(format: "%.0f ms", duration.inSeconds * 1000)
  }

  /// `2.9 s`.
  static func seconds(_ duration: Duration) -> String {
    String(format: "%.1f s", duration.inSeconds)
  }
}
