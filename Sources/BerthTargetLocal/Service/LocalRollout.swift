import BerthModel
import BerthProcess
import BerthTargetAPI
import Foundation

/// Deploys or updates one service without downtime: start the new revision, switch the route, drain, retire.
///
/// Steps: build (or reuse) the environment; see what already runs (records
/// and a process scan, so processes of a run that was killed are adopted or
/// stopped rather than colliding); start the revision on a private port and
/// wait for `GET /`; write the route; start the proxy if none serves the
/// public port, else wait until it reports the new backend; wait until the
/// old backends have no open connections; stop the old revisions.
struct LocalRollout: Sendable {
  let provider: LocalTargetProvider
  let deployment: ServiceDeployment
  let previous: Attributes?
  let progress: @Sendable (String) -> Void

  func run() async throws -> ApplyResponse {
    let layout = provider.layout(of: deployment.instance)
    let settings = LocalDeploymentSettings(deployment.settings)
    do {
      try FileManager.default.createDirectory(atPath: layout.revisionsDirectory, withIntermediateDirectories: true)
    } catch {
      throw TargetError("cannot create '\(layout.revisionsDirectory)': \(error.localizedDescription)")
    }
    let inventory = ServiceInventory.read(layout)
    let publicPort = try choosePublicPort(settings: settings, inventory: inventory, layout: layout)
    let keptProxy = inventory.proxy(on: publicPort)
    if keptProxy == nil, !PortProbe.isFree(port: publicPort) {
      throw TargetError(
        "port \(publicPort) is in use by another program on this machine; stop it or set another 'port' for service '\(deployment.name)'",
        isRetryable: false)
    }
    progress("building environment…")
    let prepared = try await provider.environments.prepare(
      condaFile: deployment.condaFile, resolution: deployment.environmentResolution, progress: progress)
    progress(prepared.message)
    if let missing = EntryScriptImports.missing(
      python: prepared.environment.pythonPath, sourceDirectory: deployment.sourceDirectory,
      entryScript: deployment.entryScript, runner: SpawnedCommandRunner()), !missing.isEmpty
    {
      throw TargetError(
        EntryScriptImports.message(
          missing, entryScript: deployment.sourceDirectory + "/" + deployment.entryScript,
          environmentName: deployment.environmentName))
    }

    let starter = RevisionStarter(provider: provider, deployment: deployment, service: layout, progress: progress)
    let busyPorts = Set([publicPort] + inventory.revisions.compactMap(\.port))
    let revision = try await starter.startOrAdopt(
      environment: prepared.environment, settings: settings, inventory: inventory, avoiding: busyPorts)

    let switchStart = ContinuousClock.now
    let proxy = try await route(to: revision, publicPort: publicPort, keptProxy: keptProxy, inventory: inventory, layout: layout)
    let retired =
      inventory.revisions.filter { $0.name != (revision.layout.root as NSString).lastPathComponent }
      + (revision.displaced.map { [$0] } ?? [])
    let drained = await retire(retired, proxyPid: proxy.pid, newBackend: revision.handle.port, layout: layout)
    for other in inventory.proxies where other.pid != proxy.pid {
      progress("stopping the proxy of the old port \(other.port) (pid \(other.pid))")
      _ = await provider.stop(processGroups: [other.pid])
    }
    try? FileManager.default.removeItem(atPath: layout.failedStartLog)
    if !retired.isEmpty {
      progress(
        "retired \(retired.count) old revision\(retired.count == 1 ? "" : "s") \(RevisionStarter.seconds(ContinuousClock.now - switchStart)) after the switch (\(drained ? "connections drained first" : "drain timed out"))"
      )
    }
    return ApplyResponse(
      outputs: outputs(revision: revision, publicPort: publicPort, proxyPid: proxy.pid),
      message: message(revision: revision, publicPort: publicPort, retired: retired.count))
  }

  // MARK: - Steps

  /// The configured port, else the one in use or recorded, else a free one (8890–8999 preferred).
  private func choosePublicPort(settings: LocalDeploymentSettings, inventory: ServiceInventory, layout: ServiceLayout) throws
    -> Int
  {
    if let port = settings.port { return port }
    if let port = inventory.proxies.first?.port { return port }
    if let port = previous?.int("port") { return port }
    if let port = ProxyRecord.read(layout.proxyRecordFile)?.port { return port }
    guard let port = PortProbe.findFreePort(in: 8890...8999) ?? PortProbe.findFreePort() else {
      throw TargetError("no free port for service '\(deployment.name)' on this machine", isRetryable: true)
    }
    return port
  }

  /// Points the public port at `revision`: rewrites the route, then starts the proxy or waits until it follows.
  private func route(
    to revision: StartedRevision, publicPort: Int, keptProxy: ServiceInventory.Proxy?, inventory: ServiceInventory,
    layout: ServiceLayout
  ) async throws -> ServiceInventory.Proxy {
    let backend = revision.handle.port
    do {
      try RouteFile.write(backendPort: backend, to: layout.routeFile)
    } catch {
      await abandon(revision)
      throw TargetError("cannot write the route of service '\(deployment.name)': \(error)")
    }
    if let keptProxy {
      if keptProxy.record == nil {
        // Started by a run that was killed before recording it: adopt it.
        let record = ProxyRecord(
          pid: keptProxy.pid, startTime: ProcessLiveness.startTime(pid: keptProxy.pid), port: publicPort,
          startedAt: provider.now())
        try? AtomicFile.writeJSON(record, to: layout.proxyRecordFile)
        progress("adopted the running proxy on port \(publicPort) (pid \(keptProxy.pid))")
      }
      let switchStart = ContinuousClock.now
      let confirmed = await waitForStatus(layout: layout, proxyPid: keptProxy.pid, timeout: provider.timings.switchTimeout) {
        $0.backendPort == backend
      }
      let took = RevisionStarter.milliseconds(ContinuousClock.now - switchStart)
      progress(
        confirmed != nil
          ? "port \(publicPort) routed to revision \(deployment.revision) (proxy pid \(keptProxy.pid) switched in \(took))"
          : "warning: the proxy (pid \(keptProxy.pid)) did not confirm the new route within \(provider.timings.switchTimeout)")
      return keptProxy
    }
    do {
      let launcher = ProxyLauncher(
        command: provider.proxyCommand, baseEnvironment: provider.baseEnvironment,
        timeout: provider.timings.proxyStartTimeout, pollInterval: provider.timings.pollInterval)
      let record = try await launcher.start(layout: layout, port: publicPort, at: provider.now())
      progress("proxy listening on port \(publicPort) (pid \(record.pid)) → revision \(deployment.revision)")
      return ServiceInventory.Proxy(pid: record.pid, port: publicPort, record: record)
    } catch {
      if let old = inventory.routedPort { try? RouteFile.write(backendPort: old, to: layout.routeFile) }
      await abandon(revision)
      throw error
    }
  }

  /// Stops a revision started by this rollout that cannot be put into service.
  private func abandon(_ revision: StartedRevision) async {
    guard !revision.adopted else { return }
    _ = await provider.stop(processGroups: [revision.handle.processGroup])
    provider.removeRevisionFolder(revision.layout)
  }

  /// Waits until the old backends have no open connections (bounded), then stops them; true when they drained.
  private func retire(
    _ revisions: [ServiceInventory.Revision], proxyPid: Int32, newBackend: Int, layout: ServiceLayout
  ) async -> Bool {
    guard !revisions.isEmpty else { return true }
    let oldPorts = revisions.compactMap(\.port).filter { $0 != newBackend }
    let drainStart = ContinuousClock.now
    let status = await waitForStatus(layout: layout, proxyPid: proxyPid, timeout: provider.timings.drainTimeout) { status in
      status.backendPort == newBackend && oldPorts.allSatisfy { status.active(onBackend: $0) == 0 }
    }
    let waited = RevisionStarter.milliseconds(ContinuousClock.now - drainStart)
    progress(
      status != nil
        ? "old connections drained after \(waited)"
        : "old connections still open after \(provider.timings.drainTimeout); stopping anyway")
    for revision in revisions {
      let pid = revision.handle.map { " (pid \($0.pid))" } ?? ""
      progress("stopping revision \(revision.name)\(pid)")
      _ = await provider.stop(processGroups: revision.processGroups)
      provider.removeRevisionFolder(layout.revision(revision.name))
    }
    return status != nil
  }

  /// Polls the proxy's status file until `condition` holds for a status written by `proxyPid`; `nil` on timeout.
  private func waitForStatus(
    layout: ServiceLayout, proxyPid: Int32, timeout: Duration, _ condition: @escaping @Sendable (ProxyStatus) -> Bool
  ) async -> ProxyStatus? {
    let (file, interval) = (layout.proxyStatusFile, provider.timings.pollInterval)
    return await DedicatedThread.run("berth-proxy-status") {
      let deadline = ContinuousClock.now + timeout
      while true {
        if let status = ProxyStatus.read(file), status.pid == proxyPid, condition(status) { return status }
        if ContinuousClock.now >= deadline || !ProcessLiveness.isAlive(pid: proxyPid) { return nil }
        Thread.sleep(forTimeInterval: interval.inSeconds)
      }
    }
  }

  // MARK: - Results

  private func outputs(revision: StartedRevision, publicPort: Int, proxyPid: Int32) -> Attributes {
    var outputs: Attributes = [
      ServiceInstance.outputKey: .string(deployment.instance),
      "revision": .string(deployment.revision),
      "port": .int(publicPort),
      "backend_port": .int(revision.handle.port),
      "pid": .int(Int(revision.handle.pid)),
      "proxy_pid": .int(Int(proxyPid)),
      "start_time": .string(ISO8601DateFormatter().string(from: revision.handle.startedAt)),
      "scoring_uri": .string("http://localhost:\(publicPort)/score"),
      "swagger_uri": .string("http://localhost:\(publicPort)/swagger.json"),
      "log_file": .string(revision.handle.logFile),
    ]
    if let modelDirectory = revision.modelDirectory { outputs["model_dir"] = .string(modelDirectory) }
    return outputs
  }

  private func message(revision: StartedRevision, publicPort: Int, retired: Int) -> String {
    var details: [String] = []
    if let after = revision.healthyAfter { details.append("healthy after \(RevisionStarter.seconds(after))") }
    if revision.adopted { details.append("already running") }
    if retired > 0 { details.append("retired \(retired) old revision\(retired == 1 ? "" : "s")") }
    return "revision \(deployment.revision) serving on http://localhost:\(publicPort)/score"
      + (details.isEmpty ? "" : " (\(details.joined(separator: "; ")))")
  }
}
