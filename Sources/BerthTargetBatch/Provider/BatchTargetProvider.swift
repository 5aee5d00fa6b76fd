import BerthModel
import BerthProcess
import BerthTargetAPI
import BerthTargetLocal
import Foundation

/// The `batch` compute target on this machine: a service is a scoring job that runs once per distinct input.
///
/// A deploy or update runs the job for the deployment's revision (a digest of models, code, environment, settings and
/// the files under `input_path`) unless that revision already completed; an interrupted run is resumed from its
/// journal. Observing reads the run's status: completed with its output in place is healthy. Runs live under
/// `<runtime>/_batch/<instance>/runs/<revision>/` (`BatchLayout`); results go to `output_path`.
public struct BatchTargetProvider: TargetProvider {
  public let layout: BatchLayout
  /// Builds (or reuses) the Environment the workers run in.
  public let environments: LocalEnvironmentBuilder
  /// The environment workers start from.
  let baseEnvironment: [String: String]
  let now: @Sendable () -> Date

  public init(
    runtimeDirectory: String, environmentCache: String,
    baseEnvironment: [String: String] = ProcessInfo.processInfo.environment,
    now: @escaping @Sendable () -> Date = { Date() }
  ) {
    self.layout = BatchLayout(runtimeDirectory: (runtimeDirectory as NSString).standardizingPath)
    self.environments = LocalEnvironmentBuilder(cacheDirectory: environmentCache, environment: baseEnvironment)
    self.baseEnvironment = baseEnvironment
    self.now = now
  }

  public var type: ComputeType { .batch }

  public func validate(_ request: ValidateRequest) -> [Diagnostic] { BatchValidation.diagnostics(request) }

  public func observe(_ request: ObserveRequest) async throws -> ObserveResponse {
    var services: [String: Observation] = [:]
    for service in request.services {
      services[service.name] = BatchObservation.observe(service, layout: layout)
    }
    return ObserveResponse(services: services, backendCalls: request.services.count)
  }

  public func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
    switch request.operation {
    case .deprovision:
      return ApplyResponse(message: "nothing to remove (jobs run on this machine)")
    case .provision(let name, _):
      do {
        try FileManager.default.createDirectory(atPath: layout.root, withIntermediateDirectories: true)
      } catch {
        throw TargetError("cannot create the batch runtime folder '\(layout.root)': \(error.localizedDescription)")
      }
      return ApplyResponse(message: "batch target '\(name)' ready; jobs run on this machine under \(layout.root)")
    case .deploy(let deployment), .update(let deployment, _):
      return try await BatchJob(provider: self, deployment: deployment, progress: request.progress).run()
    case .delete(let name, let previous):
      let instance = ServiceInstance.name(service: name, outputs: previous)
      let folder = layout.service(instance)
      do {
        if FileManager.default.fileExists(atPath: folder) { try FileManager.default.removeItem(atPath: folder) }
      } catch {
        throw TargetError("cannot remove the runs of '\(name)' under \(folder): \(error.localizedDescription)")
      }
      return ApplyResponse(message: "removed the job's runs (\(folder)); its output files were kept")
    case .publishEndpoint, .deleteEndpoint:
      throw TargetError("batch targets serve no endpoints; a batch service is a job, not a web service")
    }
  }
}
