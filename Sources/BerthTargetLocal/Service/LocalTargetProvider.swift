import BerthModel
import BerthProcess
import BerthTargetAPI
import Foundation

/// The `local` compute target: each service runs `azmlinfsrv` as a plain process behind a Berth-owned port proxy.
///
/// A service's public port is served by `ServiceProxy` (started detached as
/// `proxyCommand + [--listen …]`); each revision's server listens on a private
/// port of its own. An update starts the new revision, waits until it is
/// healthy, points the proxy at it, waits until the old revision has no open
/// connections, and only then stops it: no request is refused or cut.
/// Runtime files live under `<runtimeDirectory>/<service>/` (`ServiceLayout`).
public struct LocalTargetProvider: TargetProvider {
  /// The folder holding every service's runtime files.
  public let runtimeDirectory: String
  /// The command that runs a port proxy, e.g. `[<path of berth>, "__proxy"]`.
  public let proxyCommand: [String]
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
    runtimeDirectory: String, environmentCache: String, proxyCommand: [String],
    scoring: any ScoringProcessControlling = ScoringProcess(), commandRunner: any CommandRunning = SpawnedCommandRunner(),
    timings: LocalTargetTimings = LocalTargetTimings(),
    baseEnvironment: [String: String] = ProcessInfo.processInfo.environment,
    now: @escaping @Sendable () -> Date = { Date() }
  ) {
    self.runtimeDirectory = (runtimeDirectory as NSString).standardizingPath
    self.proxyCommand = proxyCommand
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

  public func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
    switch request.operation {
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
        provider: self, service: ServiceInstance.name(service: name, outputs: previous), previous: previous,
        progress: request.progress
      ).run()
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
