import BerthModel
import BerthTargetAPI
import Foundation

/// The `kubernetes` compute target (alias `aks`): services run as Deployments in a cluster.
///
/// Talks to the Kubernetes REST API directly: server-side apply (`fieldManager=berth`, forced: Berth
/// owns what it renders), a rollout wait on the Deployment's status, list-by-label observation, and
/// deletes that wait until the objects are gone. A cluster named by a kubeconfig or `api_server` is attached, never
/// created; one described by cloud settings (`resource_group`, `cluster_resource_id`) is `clusters`' to create or
/// attach and to connect to.
public struct KubernetesTargetProvider: TargetProvider {
  /// Where credential variables (`token_env`, registry `username_env`/`password_env`) are read.
  let environment: [String: String]
  public let timings: KubernetesTimings
  /// `validate` runs once per service, but whether a compute target can be reached is the target's answer:
  /// its kubeconfig is read and parsed once per distinct settings, not once per service.
  private let connectionChecks = ConnectionChecks()
  /// Clusters created or attached through a cloud's API (AKS); nil in builds and tests without one.
  let clusters: (any ManagedClusters)?

  public init(
    environment: [String: String] = ProcessInfo.processInfo.environment, timings: KubernetesTimings = .init(),
    clusters: (any ManagedClusters)? = nil
  ) {
    self.environment = environment
    self.timings = timings
    self.clusters = clusters
  }

  public var type: ComputeType { .kubernetes }

  /// The compute target settings recorded with each service, so a delete can find the cluster without the manifests.
  /// The last five are a managed cluster's (`ManagedClusters`).
  static let connectionKeys = [
    "kubeconfig", "context", "api_server", "token_env", "ca_file", "namespace", "cluster_resource_id", "subscription_id",
    "resource_group", "cluster_name", "resource_manager",
  ]

  /// The managed-cluster source that owns these settings, if any.
  func managed(_ settings: [String: FieldValue]) -> (any ManagedClusters)? {
    guard let clusters, clusters.handles(settings) else { return nil }
    return clusters
  }

  /// A compute target's settings as a managed cluster needs them recorded (`cluster_name` written out).
  func completed(_ spec: ComputeTargetSpec, name: String) -> ComputeTargetSpec {
    guard let clusters = managed(spec.settings) else { return spec }
    return ComputeTargetSpec(
      type: spec.type, settings: clusters.completed(spec.settings, computeTarget: name), registry: spec.registry)
  }

  func connection(_ settings: [String: FieldValue]) async throws -> ClusterConnection {
    if let clusters = managed(settings) {
      var namespace = ClusterConnection.defaultNamespace
      if case .string(let text)? = settings["namespace"], !text.isEmpty { namespace = text }
      return try await clusters.connection(settings, namespace: namespace)
    }
    do {
      return try ClusterConnection.resolve(settings, environment: environment)
    } catch let error as KubernetesError {
      throw error.targetError
    }
  }

  /// Runs `body` with a client for `settings`, mapping Kubernetes errors to target errors, and always closes it.
  func withClient<T: Sendable>(_ settings: [String: FieldValue], _ body: (KubeClient) async throws -> T) async throws -> T {
    let client: KubeClient
    do {
      client = try KubeClient(try await connection(settings))
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

  // MARK: - Validate

  /// Warns when the compute target's connection settings cannot be resolved here (kubeconfig, context, token variable).
  /// Settings that contradict each other are errors of `berth validate` already (`SettingsRules`).
  public func validate(_ request: ValidateRequest) -> [Diagnostic] {
    let problem = connectionChecks.problem(with: request.computeTarget.settings) { settings in
      if let clusters = managed(settings) { return clusters.problem(with: settings) }
      if clusters == nil, settings["cluster_resource_id"] != nil || settings["resource_group"] != nil {
        return "this build of Berth cannot reach AKS clusters through Azure Resource Manager"
      }
      do {
        _ = try ClusterConnection.resolve(settings, environment: environment)
        return nil
      } catch {
        return "\(error)"
      }
    }
    guard let problem else { return [] }
    return [
      .warning(
        "cannot connect to compute target of service '\(request.service.address.name)': \(problem)",
        at: request.service.location(of: "compute_target"))
    ]
  }

  // MARK: - Observe

  public func observe(_ original: ObserveRequest) async throws -> ObserveResponse {
    var request = original
    request.computeTarget = completed(original.computeTarget, name: original.computeTargetName)
    var cluster: Observation?
    if let clusters = managed(request.computeTarget.settings) {
      let observed = try await clusters.observe(name: request.computeTargetName, settings: request.computeTarget.settings)
      // A cluster that is gone has no services to list.
      if observed.health == .missing || (request.services.isEmpty && request.endpoints.isEmpty) {
        var response = ObserveResponse(services: [:], backendCalls: 1)
        response.computeTarget = observed
        if observed.health == .missing {
          for service in request.services {
            response.services[service.name] = Observation(health: .missing, message: "its cluster is gone: \(observed.message)")
          }
        }
        return response
      }
      cluster = observed
    }
    var response = try await withClient(request.computeTarget.settings) { client in
      var response = try await BulkObservation(client: client, namespace: client.connection.namespace).run(
        request.services)
      let publisher = EndpointPublisher(provider: self, client: client, progress: { _ in })
      for endpoint in request.endpoints {
        response.endpoints[endpoint.name] = try await publisher.observe(endpoint.name)
        response.backendCalls += 3
      }
      // A service with a gateway of its own: the gateway's key fingerprint and weights are the service's, and a
      // gateway gone is the service unreachable the way it was published.
      for service in request.services {
        guard case .string(let gateway)? = service.recordedOutputs["gateway_endpoint"],
          var observation = response.services[service.name]
        else { continue }
        let own = try await publisher.observe(gateway)
        response.backendCalls += 3
        for (key, value) in own.attributes { observation.attributes[key] = value }
        if own.health == .missing || own.health == .degraded, observation.health == .healthy {
          observation.health = own.health
          observation.message += "; its gateway: \(own.message)"
        }
        response.services[service.name] = observation
      }
      return response
    }
    // The connection settings go with each observation, as with an apply's outputs: a service adopted by
    // `berth import` can then be deleted on its own cluster even after its compute target left the manifests.
    for name in response.services.keys {
      for key in Self.connectionKeys {
        if let value = request.computeTarget.settings[key] { response.services[name]?.attributes["target.\(key)"] = value }
      }
    }
    if let cluster {
      response.computeTarget = cluster
      response.backendCalls += 1
    }
    return response
  }

  // MARK: - Apply

  public func apply(_ original: ApplyRequest) async throws -> ApplyResponse {
    var request = original
    switch original.operation {
    case .provision(let name, let spec):
      request.operation = .provision(name: name, completed(spec, name: name))
    case .deploy(var deployment):
      deployment.computeTarget = completed(deployment.computeTarget, name: deployment.computeTargetName)
      request.operation = .deploy(deployment)
    case .update(var deployment, let previous):
      deployment.computeTarget = completed(deployment.computeTarget, name: deployment.computeTargetName)
      request.operation = .update(deployment, previous: previous)
    case .publishEndpoint(var endpoint, let previous):
      endpoint.computeTarget = completed(endpoint.computeTarget, name: endpoint.computeTargetName)
      request.operation = .publishEndpoint(endpoint, previous: previous)
    case .delete, .deprovision, .deleteEndpoint:
      break
    }
    switch request.operation {
    case .provision(let name, let spec):
      var created: ApplyResponse?
      if let clusters = managed(spec.settings) {
        created = try await clusters.provision(
          name: name, settings: spec.settings, registry: spec.registry, progress: request.progress)
      }
      let attached = try await withClient(spec.settings) { client in
        try await provision(name: name, client: client, progress: request.progress)
      }
      guard let created else { return attached }
      return ApplyResponse(
        outputs: attached.outputs.merging(created.outputs) { $1 }, message: created.message + "; " + attached.message,
        diagnostics: created.diagnostics + attached.diagnostics)
    case .deprovision(let name, let previous):
      var settings: [String: FieldValue] = [:]
      for key in Self.connectionKeys { settings[key] = previous[key] }
      guard let clusters = managed(settings) else {
        return ApplyResponse(message: "forgotten (Berth does not remove clusters it attached)")
      }
      return try await clusters.deprovision(name: name, previous: previous, progress: request.progress)
    case .deploy(let deployment):
      return try await withClient(deployment.computeTarget.settings) { client in
        let response = try await KubernetesRollout(
          provider: self, client: client, deployment: deployment, previous: nil, progress: request.progress
        )
        .run()
        try await syncEndpoints([deployment.endpoint], client: client, progress: request.progress)
        return response
      }
    case .update(let deployment, let previous):
      return try await withClient(deployment.computeTarget.settings) { client in
        let response = try await KubernetesRollout(
          provider: self, client: client, deployment: deployment, previous: previous, progress: request.progress
        ).run()
        // A service that left an endpoint leaves its routes too.
        try await syncEndpoints(
          [deployment.endpoint, Self.text(previous["endpoint"])], client: client, progress: request.progress)
        return response
      }
    case .delete(let name, let previous):
      var settings: [String: FieldValue] = [:]
      for key in Self.connectionKeys { settings[key] = previous["target.\(key)"] }
      return try await withClient(settings) { client in
        let namespace =
          previous["namespace"].flatMap { if case .string(let s) = $0 { s } else { nil } } ?? client.connection.namespace
        try await Teardown(client: client, namespace: namespace, timings: timings, progress: request.progress)
          .delete(service: ServiceInstance.name(service: name, outputs: previous), recorded: previous)
        if namespace == client.connection.namespace {
          try await syncEndpoints([Self.text(previous["endpoint"])], client: client, progress: request.progress)
        }
        return ApplyResponse(message: "deleted from \(namespace)")
      }
    case .publishEndpoint(let endpoint, let previous):
      return try await withClient(endpoint.computeTarget.settings) { client in
        try await EndpointPublisher(provider: self, client: client, progress: request.progress).publish(
          endpoint, previous: previous)
      }
    case .deleteEndpoint(let name, let previous):
      var settings: [String: FieldValue] = [:]
      for key in Self.connectionKeys { settings[key] = previous["target.\(key)"] }
      return try await withClient(settings) { client in
        try await EndpointPublisher(provider: self, client: client, progress: request.progress).delete(
          name, previous: previous)
      }
    }
  }

  /// Re-composes the routes of the endpoints a service belongs (or belonged) to.
  private func syncEndpoints(_ names: [String?], client: KubeClient, progress: @escaping @Sendable (String) -> Void)
    async throws
  {
    let publisher = EndpointPublisher(provider: self, client: client, progress: progress)
    for name in Set(names.compactMap { $0 }).sorted() { try await publisher.syncRoutes(name) }
  }

  static func text(_ value: FieldValue?) -> String? {
    if case .string(let text)? = value { return text }
    return nil
  }

  private func provision(name: String, client: KubeClient, progress: @Sendable (String) -> Void) async throws -> ApplyResponse {
    let namespace = client.connection.namespace
    let objects = ProvisionObjects.render(namespace: namespace, computeTargetName: name)
    do {
      try await client.apply(objects[0])
      progress("namespace \(namespace) applied")
    } catch let error as KubernetesError where error.code == 403 {
      // Attaching to a namespace created by someone else, without the right to label it, is fine.
      guard try await client.get(.namespace, namespace, namespace: nil) != nil else { throw error }
      progress("namespace \(namespace) exists (not labelled: \(error))")
    }
    try await client.apply(objects[1])
    progress("service account \(namespace)/\(KubernetesRenderer.serviceAccountName) applied")
    return ApplyResponse(
      outputs: ["namespace": .string(namespace), "api_server": .string(client.connection.server)],
      message: "cluster \(client.connection.server) attached; namespace \(namespace) and service account ready")
  }
}

/// The bounded waits of the Kubernetes target.
public struct KubernetesTimings: Sendable, Hashable {
  /// Between two reads of a rollout's or a delete's progress.
  public var pollInterval: Duration
  /// Added to a service's `wait_timeout` so that the controller can report a missed progress deadline first.
  public var rolloutSlack: Duration
  /// How long a delete waits for the objects to be gone.
  public var deleteTimeout: Duration

  public init(
    pollInterval: Duration = .seconds(1), rolloutSlack: Duration = .seconds(30), deleteTimeout: Duration = .seconds(120)
  ) {
    self.pollInterval = pollInterval
    self.rolloutSlack = rolloutSlack
    self.deleteTimeout = deleteTimeout
  }
}

/// What resolving each distinct set of connection settings said (nil: it resolved), kept for one provider's life.
private final class ConnectionChecks: @unchecked Sendable {
  private let lock = NSLock()
  private var problems: [[String: FieldValue]: String?] = [:]

  func problem(with settings: [String: FieldValue], _ check: ([String: FieldValue]) -> String?) -> String? {
    if let known = lock.withLock({ problems[settings] }) { return known }
    let found = check(settings)
    lock.withLock { problems[settings] = found }
    return found
  }
}

extension KubernetesTargetProvider: EndpointSecretStoring {
  /// Connects with the settings recorded with the endpoint (`target.*`), in its recorded namespace.
  private func withEndpointClient<T: Sendable>(_ recorded: Attributes, _ body: (EndpointPublisher) async throws -> T)
    async throws -> T
  {
    var settings: [String: FieldValue] = [:]
    for key in Self.connectionKeys { settings[key] = recorded["target.\(key)"] }
    if let namespace = recorded["namespace"] { settings["namespace"] = namespace }
    return try await withClient(settings) { client in
      try await body(EndpointPublisher(provider: self, client: client, progress: { _ in }))
    }
  }

  public func endpointSecrets(name: String, recorded: Attributes) async throws -> EndpointSecretMaterial {
    try await withEndpointClient(recorded) { try await $0.credentials(name) }
  }

  public func regenerateEndpointKey(name: String, recorded: Attributes, keyType: String) async throws
    -> EndpointSecretMaterial
  {
    try await withEndpointClient(recorded) { publisher in
      _ = try await publisher.regenerate(name, keyType: keyType)
      return try await publisher.credentials(name)
    }
  }
}
