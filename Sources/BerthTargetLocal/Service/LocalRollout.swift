import BerthGateway
import BerthModel
import BerthProcess
import BerthTargetAPI
import Foundation

/// Deploys or updates one service without downtime: start the new revision, point the gateway at it, drain, retire.
///
/// Steps: find the gateway the service is served by (its endpoint's, or its own, which this rollout defines
/// from `auth_enabled`, `token_auth_enabled` and `port`); build (or reuse) the environment; see what already runs
/// (records and a process scan, so processes of a run that was killed are adopted or stopped rather than
/// colliding); start the revision on a private loopback port and wait for `GET /`; register it with the
/// gateway and make the gateway serve the new configuration (start it, or reload it and wait until it says it
/// did); wait until no request is in flight to the old revisions; stop them.
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
    let host = try gatewayHost(layout: layout, settings: settings, inventory: inventory)

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
    let busyPorts = Set([host.definition()?.port].compactMap { $0 } + inventory.revisions.compactMap(\.port))
    let revision = try await starter.startOrAdopt(
      environment: prepared.environment, settings: settings, inventory: inventory, avoiding: busyPorts)

    let switchStart = ContinuousClock.now
    let gateway = try await route(to: revision, host: host, settings: settings, inventory: inventory)
    await leaveOtherGateways(layout: layout, serving: host)
    let retired =
      inventory.revisions.filter { $0.name != (revision.layout.root as NSString).lastPathComponent }
      + (revision.displaced.map { [$0] } ?? [])
    let drained = await retire(retired, host: host, newPort: revision.handle.port, layout: layout)
    try? FileManager.default.removeItem(atPath: layout.failedStartLog)
    if !retired.isEmpty {
      progress(
        "retired \(retired.count) old revision\(retired.count == 1 ? "" : "s") \(RevisionStarter.seconds(ContinuousClock.now - switchStart)) after the switch (\(drained ? "requests drained first" : "drain timed out"))"
      )
    }
    let definition = host.definition()!
    return ApplyResponse(
      outputs: LocalServiceOutputs.attributes(
        instance: deployment.instance, revision: deployment.revision, handle: revision.handle,
        modelDirectory: revision.modelDirectory, endpoint: deployment.endpoint, definition: definition, host: host,
        gatewayPid: gateway.pid),
      message: message(revision: revision, definition: definition, retired: retired.count))
  }

  // MARK: - The gateway

  /// The endpoint's gateway, or the service's own with its definition written and its credentials created.
  private func gatewayHost(layout: ServiceLayout, settings: LocalDeploymentSettings, inventory: ServiceInventory) throws
    -> GatewayHost
  {
    if let endpoint = deployment.endpoint {
      let host = provider.endpointHost(endpoint)
      guard host.definition() != nil else {
        throw TargetError("endpoint '\(endpoint)' is not published on this target yet; apply the endpoint first")
      }
      return host
    }
    let host = provider.serviceHost(layout)
    let port = try choosePort(settings: settings, host: host, inventory: inventory)
    let definition = EndpointDefinition(
      name: deployment.name, authMode: settings.authMode, traffic: [deployment.name: 100],
      listenAddress: LocalDeploymentSettings.serviceListenAddress, port: port)
    try host.write(definition)
    try host.ensureSecrets(for: definition.authMode)
    // Its only deployment is this service: an entry under a name it had before a rename is replaced.
    for entry in host.deployments() where entry.name != deployment.name { host.unregister(entry.name) }
    return host
  }

  /// The configured port, else the one in use or recorded, else a free one (8890–8999 preferred).
  ///
  /// A port held by another program fails here, before anything starts.
  private func choosePort(settings: LocalDeploymentSettings, host: GatewayHost, inventory: ServiceInventory) throws -> Int {
    let running = host.runningProcess().flatMap(host.listening)
    let ours = Set([running?.port].compactMap { $0 } + inventory.legacyProxies.map(\.port))
    let port =
      settings.port ?? running?.port ?? previous?.int("port") ?? host.definition()?.port
      ?? PortProbe.findFreePort(in: 8890...8999) ?? PortProbe.findFreePort()
    guard let port else { throw TargetError("no free port for service '\(deployment.name)' on this machine", isRetryable: true) }
    if !ours.contains(port), !PortProbe.isFree(port: port) {
      throw TargetError(
        "port \(port) is in use by another program on this machine; stop it or set another 'port' for service '\(deployment.name)'"
      )
    }
    return port
  }

  /// Registers the revision with the gateway and waits until the gateway serves it; undoes both on failure.
  private func route(
    to revision: StartedRevision, host: GatewayHost, settings: LocalDeploymentSettings, inventory: ServiceInventory
  ) async throws -> GatewayProcessRecord {
    let before = host.deployments().first { $0.name == deployment.name }
    do {
      try host.register(settings.gatewayDeployment(name: deployment.name, upstream: "127.0.0.1:\(revision.handle.port)"))
      let digest = try host.compose()
      // A port proxy of an older Berth holds the port until the gateway takes over: stopped first, once.
      for proxy in inventory.legacyProxies {
        progress("stopping the port proxy of an older Berth on port \(proxy.port) (pid \(proxy.pid))")
        _ = await provider.stop(processGroups: [proxy.pid])
      }
      return try await host.serve(digest: digest, progress: progress)
    } catch {
      if let before { try? host.register(before) } else { host.unregister(deployment.name) }
      _ = try? host.compose()
      await abandon(revision)
      throw error
    }
  }

  /// A service that moved behind an endpoint stops its own gateway; one that left an endpoint leaves its routes.
  private func leaveOtherGateways(layout: ServiceLayout, serving host: GatewayHost) async {
    let own = provider.serviceHost(layout)
    if host.layout != own.layout, own.runningProcess() != nil || FileManager.default.fileExists(atPath: own.layout.root) {
      progress("stopping the service's own gateway: it is served by endpoint '\(deployment.endpoint ?? "")' now")
      _ = await own.stop()
      try? FileManager.default.removeItem(atPath: own.layout.root)
    }
    if case .string(let old)? = previous?["endpoint"], old != deployment.endpoint {
      let oldHost = provider.endpointHost(old)
      oldHost.unregister(deployment.name)
      if let digest = try? oldHost.compose(), oldHost.runningProcess() != nil {
        progress("leaving endpoint '\(old)'")
        _ = try? await oldHost.serve(digest: digest, progress: progress)
      }
    }
  }

  /// Stops a revision started by this rollout that cannot be put into service.
  private func abandon(_ revision: StartedRevision) async {
    guard !revision.adopted else { return }
    _ = await provider.stop(processGroups: [revision.handle.processGroup])
    provider.removeRevisionFolder(revision.layout)
  }

  /// Waits until the gateway has no request in flight to the old revisions (bounded), then stops them.
  private func retire(
    _ revisions: [ServiceInventory.Revision], host: GatewayHost, newPort: Int, layout: ServiceLayout
  ) async -> Bool {
    guard !revisions.isEmpty else { return true }
    let upstreams = revisions.compactMap(\.port).filter { $0 != newPort }.map { "127.0.0.1:\($0)" }
    let drainStart = ContinuousClock.now
    let drained = await host.drain(upstreams, timeout: provider.timings.drainTimeout)
    let waited = RevisionStarter.milliseconds(ContinuousClock.now - drainStart)
    progress(
      drained
        ? "old revisions idle after \(waited)" : "requests to old revisions still in flight after \(waited); stopping anyway")
    for revision in revisions {
      let pid = revision.handle.map { " (pid \($0.pid))" } ?? ""
      progress("stopping revision \(revision.name)\(pid)")
      _ = await provider.stop(processGroups: revision.processGroups)
      provider.removeRevisionFolder(layout.revision(revision.name))
    }
    return drained
  }

  private func message(revision: StartedRevision, definition: EndpointDefinition, retired: Int) -> String {
    var details: [String] = []
    if let after = revision.healthyAfter { details.append("healthy after \(RevisionStarter.seconds(after))") }
    if revision.adopted { details.append("already running") }
    if retired > 0 { details.append("retired \(retired) old revision\(retired == 1 ? "" : "s")") }
    let via = deployment.endpoint.map { " behind endpoint '\($0)'" } ?? ""
    return "revision \(deployment.revision) serving on \(definition.scoringURI)\(via) (auth \(definition.authMode.rawValue))"
      + (details.isEmpty ? "" : "; " + details.joined(separator: "; "))
  }
}
