import BerthModel
import BerthProcess
import BerthTargetAPI
import BerthTargetKubernetes
import BerthTargetLocal
import Foundation

/// The `batch` compute target on this machine: a service is a scoring job that runs once per distinct input.
///
/// A deploy or update runs the job for the deployment's revision (a digest of models, code, environment, settings and
/// the files under `input_path`) unless that revision already completed; an interrupted run is resumed from its
/// journal. Observing reads the run's status: completed with its output in place is healthy. Runs live under
/// `<runtime>/_batch/<instance>/runs/<revision>/` (`BatchLayout`); results go to `output_path`.
///
/// A target that names a cluster (`kubeconfig`, `context`, `api_server`, `namespace`) scores on it instead, as an
/// Indexed Job of the job's image (`ClusterBatchJob`); the image carries the inputs (`ImageContributing`), the run's
/// bookkeeping stays here.
public struct BatchTargetProvider: TargetProvider {
  public let layout: BatchLayout
  /// Builds (or reuses) the Environment the workers run in.
  public let environments: LocalEnvironmentBuilder
  /// The environment workers start from.
  let baseEnvironment: [String: String]
  let now: @Sendable () -> Date
  /// Between two reads of a Job's progress on a cluster.
  let clusterPollInterval: Duration

  public init(
    runtimeDirectory: String, environmentCache: String,
    baseEnvironment: [String: String] = ProcessInfo.processInfo.environment,
    now: @escaping @Sendable () -> Date = { Date() }, clusterPollInterval: Duration = .seconds(1)
  ) {
    self.layout = BatchLayout(runtimeDirectory: (runtimeDirectory as NSString).standardizingPath)
    self.environments = LocalEnvironmentBuilder(cacheDirectory: environmentCache, environment: baseEnvironment)
    self.baseEnvironment = baseEnvironment
    self.now = now
    self.clusterPollInterval = clusterPollInterval
  }

  /// The compute target settings recorded with a service that ran on a cluster, so a delete finds its Jobs.
  static let connectionKeys = ["kubeconfig", "context", "api_server", "token_env", "ca_file", "namespace"]

  public var type: ComputeType { .batch }

  public func validate(_ request: ValidateRequest) -> [Diagnostic] {
    BatchValidation.diagnostics(request, environment: baseEnvironment)
  }

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
    case .provision(let name, let spec) where spec.runsBatchOnCluster:
      return try await withClient(spec.settings) { client in
        let namespace = client.connection.namespace
        for object in ProvisionObjects.render(namespace: namespace, computeTargetName: name) {
          try await client.apply(object)
        }
        return ApplyResponse(
          outputs: ["namespace": .string(namespace), "api_server": .string(client.connection.server)],
          message: "batch target '\(name)' attached to \(client.connection.server); namespace \(namespace) ready for its Jobs")
      }
    case .provision(let name, _):
      do {
        try FileManager.default.createDirectory(atPath: layout.root, withIntermediateDirectories: true)
      } catch {
        throw TargetError("cannot create the batch runtime folder '\(layout.root)': \(error.localizedDescription)")
      }
      return ApplyResponse(message: "batch target '\(name)' ready; jobs run on this machine under \(layout.root)")
    case .deploy(let deployment), .update(let deployment, _):
      if deployment.computeTarget.runsBatchOnCluster {
        return try await ClusterBatchJob(provider: self, deployment: deployment, progress: request.progress).run()
      }
      return try await BatchJob(provider: self, deployment: deployment, progress: request.progress).run()
    case .delete(let name, let previous):
      let instance = ServiceInstance.name(service: name, outputs: previous)
      var removed = ""
      var settings: [String: FieldValue] = [:]
      for key in Self.connectionKeys { settings[key] = previous["target.\(key)"] }
      if !settings.isEmpty {
        // Its Jobs (and their pods) on the cluster it ran on.
        removed = try await withClient(settings) { client in
          let namespace = client.connection.namespace
          let jobs = try await client.list(
            .job, namespace: namespace, labelSelector: BatchJobRenderer.selector(instance: instance))
          for job in jobs.compactMap({ $0["metadata"]?["name"]?.stringValue }) {
            _ = try await client.delete(.job, job, namespace: namespace, propagationPolicy: "Background")
          }
          return jobs.isEmpty ? "" : "; \(jobs.count) Job\(jobs.count == 1 ? "" : "s") deleted in \(namespace)"
        }
      }
      let folder = layout.service(instance)
      do {
        if FileManager.default.fileExists(atPath: folder) { try FileManager.default.removeItem(atPath: folder) }
      } catch {
        throw TargetError("cannot remove the runs of '\(name)' under \(folder): \(error.localizedDescription)")
      }
      return ApplyResponse(message: "removed the job's runs (\(folder))\(removed); its output files were kept")
    case .publishEndpoint, .deleteEndpoint:
      throw TargetError("batch targets serve no endpoints; a batch service is a job, not a web service")
    }
  }
}

extension BatchTargetProvider: ImageContributing {
  /// A job that runs on a cluster carries its runner and inputs in its image (`BatchImageLayer`); one that runs here
  /// has no image.
  public func imageLayers(for deployment: ServiceDeployment) throws -> [ImageLayerContent] {
    guard deployment.computeTarget.runsBatchOnCluster else { return [] }
    return [try BatchImageLayer.content(try JobInputs.gather(deployment, layout: layout))]
  }

  /// Runs `body` with a client for a cluster batch target's `settings`; Kubernetes errors become target errors.
  func withClient<T: Sendable>(_ settings: [String: FieldValue], _ body: (KubeClient) async throws -> T) async throws -> T {
    let client: KubeClient
    do {
      client = try KubeClient(ClusterConnection.resolve(settings, environment: baseEnvironment))
    } catch let error as KubernetesError {
      throw error.targetError
    }
    do {
      let result = try await body(client)
      await client.shutdown()
      return result
    } catch let error as KubernetesError {
      await client.shutdown()
      throw error.targetError
    } catch {
      await client.shutdown()
      throw error
    }
  }
}
