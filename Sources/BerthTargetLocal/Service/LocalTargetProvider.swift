import BerthModel
import BerthProcess
import BerthTargetAPI
import Foundation

/// The `local` compute target: each service runs `azmlinfsrv` as a plain process behind Berth's gateway.
///
/// A service's public port is served by `berth gateway` (started detached as `gatewayCommand + [--config …]`):
/// the service's own, or its endpoint's. Each revision's server listens on a private loopback port of its own.
/// An update starts the new revision, waits until it is healthy, points the gateway at it, waits until no
/// request is in flight to the old revision, and only then stops it: no request is refused or cut.
/// Runtime files live under `<runtimeDirectory>/<service>/` (`ServiceLayout`) and, for endpoints,
/// `<runtimeDirectory>/_endpoints/<endpoint>/` (`GatewayLayout`).
public struct LocalTargetProvider: TargetProvider {
  /// The folder holding every service's runtime files.
  public let runtimeDirectory: String
  /// The command that runs a gateway, e.g. `[<path of berth>, "gateway", "serve"]`.
  public let gatewayCommand: [String]
  /// Builds (or reuses) service environments.
  public let environments: LocalEnvironmentBuilder
  /// Starts, watches and stops scoring servers and proxies.
  public let scoring: any ScoringProcessControlling
  /// The bounded waits.
  public let timings: LocalTargetTimings
  /// The environment child processes start from.
  let baseEnvironment: [String: String]
  /// The wall clock, for recorded start times.
  let now: @Sendable () -> Date

  /// Creates the provider.
  public init(
    runtimeDirectory: String, environmentCache: String, gatewayCommand: [String],
    scoring: any ScoringProcessControlling = ScoringProcess(), commandRunner: any CommandRunning = SpawnedCommandRunner(),
    timings: LocalTargetTimings = LocalTargetTimings(),
    baseEnvironment: [String: String] = ProcessInfo.processInfo.environment,
    now: @escaping @Sendable () -> Date = { Date() }
  ) {
    self.runtimeDirectory = (runtimeDirectory as NSString).standardizingPath
    self.gatewayCommand = gatewayCommand
    self.environments = LocalEnvironmentBuilder(
      cacheDirectory: environmentCache, runner: commandRunner, environment: baseEnvironment)
    self.scoring = scoring
    self.timings = timings
    self.baseEnvironment = baseEnvironment
    self.now = now
  }

  public var type: ComputeType { .local }

  /// The runtime layout of `service`.
  public func layout(of service: String) -> ServiceLayout {
    ServiceLayout(runtimeDirectory: runtimeDirectory, service: service)
  }

  /// The gateway folder of endpoint `name`: `<runtime>/_endpoints/<name>/`.
  public func endpointLayout(_ name: String) -> GatewayLayout {
    let root = runtimeDirectory + "/_endpoints/" + ServiceLayout.safeName(name)
    return GatewayLayout(root: root, ownerRoot: root)
  }

  func endpointHost(_ name: String) -> GatewayHost { host(endpointLayout(name)) }

  func serviceHost(_ layout: ServiceLayout) -> GatewayHost { host(layout.gateway) }

  private func host(_ layout: GatewayLayout) -> GatewayHost {
    GatewayHost(layout: layout, command: gatewayCommand, baseEnvironment: baseEnvironment, timings: timings)
  }

  public func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
    switch request.operation {
    case .deprovision:
      return ApplyResponse(message: "nothing to remove (services run on this machine)")
    case .provision(let name, _):
      do {
        try FileManager.default.createDirectory(atPath: runtimeDirectory, withIntermediateDirectories: true)
      } catch {
        throw TargetError("cannot create the local runtime folder '\(runtimeDirectory)': \(error.localizedDescription)")
      }
      return ApplyResponse(message: "local target '\(name)' ready; services run under \(runtimeDirectory)")
    case .deploy(let deployment):
      return try await LocalRollout(provider: self, deployment: deployment, previous: nil, progress: request.progress).run()
    case .update(let deployment, let previous):
      return try await LocalRollout(provider: self, deployment: deployment, previous: previous, progress: request.progress)
        .run()
    case .delete(let name, let previous):
      return try await LocalTeardown(
        provider: self, service: ServiceInstance.name(service: name, outputs: previous), name: name, previous: previous,
        progress: request.progress
      ).run()
    case .publishEndpoint(let endpoint, let previous):
      return try await LocalEndpoints(provider: self, progress: request.progress).publish(endpoint, previous: previous)
    case .deleteEndpoint(let name, _):
      return try await LocalEndpoints(provider: self, progress: request.progress).delete(name)
    }
  }

  /// Stops each process group (SIGTERM, grace, SIGKILL) and returns the groups that survived.
  func stop(processGroups: some Sequence<Int32>) async -> [Int32] {
    var survivors: [Int32] = []
    for group in Set(processGroups).sorted() {
      if case .stillRunning = await scoring.stop(processGroup: group, grace: timings.stopGrace) { survivors.append(group) }
    }
    return survivors
  }

  /// Removes a revision's folder and its out-of-tree control folder, if it had one.
  func removeRevisionFolder(_ revision: RevisionLayout) {
    let control = revision.controlDirectory
    if !control.hasPrefix(revision.root) { try? FileManager.default.removeItem(atPath: control) }
    try? FileManager.default.removeItem(atPath: revision.root)
  }
}
