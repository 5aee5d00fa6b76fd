import AsyncHTTPClient
import BerthAzure
import BerthModel
import BerthTargetAPI
import BerthTargetKubernetes
import Foundation
import NIOConcurrencyHelpers

/// AKS clusters through Azure Resource Manager, for the Kubernetes target: creates or updates the
/// `managedClusters` resource a compute target declares (or checks one it attaches), fetches its user kubeconfig with
/// `listClusterUserCredential` (kept in memory, never written), observes it for drift, and deletes what it created.
///
/// Credentials are Azure's `DefaultAzureCredential` chain read from `environment`.
public struct AKSClusters: ManagedClusters {
  let environment: [String: String]
  let http: HTTPClient
  let pollInterval: Duration
  private let credentials = NIOLockedValueBox<[String: DefaultAzureCredential]>([:])
  private let connections = NIOLockedValueBox<[String: ClusterConnection]>([:])

  public init(
    environment: [String: String] = ProcessInfo.processInfo.environment, http: HTTPClient = ARMClient.sharedHTTP,
    pollInterval: Duration = .seconds(10)
  ) {
    self.environment = environment
    self.http = http
    self.pollInterval = pollInterval
  }

  public func handles(_ settings: [String: FieldValue]) -> Bool { AKSClusterSettings.describesCluster(settings) }

  public func completed(_ settings: [String: FieldValue], computeTarget name: String) -> [String: FieldValue] {
    guard settings["cluster_resource_id"] == nil, settings["cluster_name"] == nil else { return settings }
    var completed = settings
    completed["cluster_name"] = .string(name)
    return completed
  }

  public func problem(with settings: [String: FieldValue]) -> String? {
    do {
      _ = try AKSClusterSettings.resolve(settings, name: "cluster")
      return nil
    } catch {
      return "\(error)"
    }
  }

  func arm(_ cluster: AKSClusterSettings) -> ARMClient {
    let cloud = AzureCloud.from(environment: environment, resourceManager: cluster.resourceManager)
    let credential = credentials.withLockedValue { cache in
      if let known = cache[cluster.resourceManager] { return known }
      let made = DefaultAzureCredential.from(environment: environment, cloud: cloud, http: http)
      cache[cluster.resourceManager] = made
      return made
    }
    return ARMClient(cloud: cloud, credential: credential, http: http, pollInterval: pollInterval)
  }

  /// Runs `body`, turning Azure's errors into target errors that carry ARM's code and message.
  func azure<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
    do {
      return try await body()
    } catch let error as ARMError {
      throw TargetError(
        "\(what): \(error)", isRetryable: error.status == 429 || error.status >= 500 || error.status == 409)
    } catch let error as AzureCredentialError {
      throw TargetError("\(what): \(error.message)")
    }
  }

  // MARK: - Provision

  public func provision(
    name: String, settings: [String: FieldValue], registry: RegistryReference?,
    progress: @escaping @Sendable (String) -> Void
  ) async throws -> ApplyResponse {
    var response = try await createOrUpdate(name: name, settings: settings, progress: progress)
    // Only a cluster Berth created gets pull rights from Berth; an attached one is its owner's to configure.
    guard let registry, let resource = response.resource, AKSClusterSettings.describesCluster(settings),
      settings["cluster_resource_id"] == nil
    else { return response.answer }
    let cluster = try AKSClusterSettings.resolve(settings, name: name)
    let outcome = await RegistryAttachment(client: arm(cluster), cluster: cluster).attach(
      registry: registry, clusterResource: resource, computeTarget: name)
    if let granted = outcome.granted {
      progress(granted)
      response.answer.outputs["registry_access"] = .string("AcrPull on \(registry.address)")
    }
    if let warning = outcome.warning { response.answer.diagnostics.append(warning) }
    return response.answer
  }

  /// The cluster created, updated or found as declared, with its resource as ARM last returned it.
  func createOrUpdate(name: String, settings: [String: FieldValue], progress: @escaping @Sendable (String) -> Void)
    async throws -> (answer: ApplyResponse, resource: [String: Any]?)
  {
    let cluster = try AKSClusterSettings.resolve(settings, name: name)
    let client = arm(cluster)
    guard cluster.creates else {
      guard let existing = try await read(cluster, client) else {
        throw TargetError("AKS cluster \(cluster.resourceID) (cluster_resource_id) does not exist")
      }
      return (
        ApplyResponse(outputs: outputs(existing, cluster), message: "AKS cluster \(cluster.clusterName) attached"), existing
      )
    }
    let location = cluster.location ?? ""
    _ = try await azure("reading or creating resource group \(cluster.resourceGroup)") {
      try await client.ensureResourceGroup(
        subscription: cluster.subscriptionID, name: cluster.resourceGroup, location: location,
        tags: ["managed-by": "berth", "berth.dev/compute-target": name], progress: progress)
    }
    var existing = try await read(cluster, client)
    // An operation left running (an apply interrupted mid-way, someone else's change) is waited out, not repeated.
    if let busy = existing, ManagedClusterRenderer.isBusy(busy) {
      progress("cluster \(cluster.clusterName) is \(ManagedClusterRenderer.provisioningState(busy)); waiting for it to finish")
      existing = try await settle(cluster, client)
    }
    if let existing, ManagedClusterRenderer.provisioningState(existing) != "Failed",
      ManagedClusterRenderer.differences(existing, cluster).isEmpty
    {
      return (
        ApplyResponse(outputs: outputs(existing, cluster), message: "AKS cluster \(cluster.clusterName) is as declared"),
        existing
      )
    }
    if let existing, let found = existing["location"] as? String, let location = cluster.location,
      ManagedClusterRenderer.normalisedLocation(found) != ManagedClusterRenderer.normalisedLocation(location)
    {
      throw TargetError(
        "AKS cluster \(cluster.clusterName) exists in \(found), not \(location); a cluster cannot move regions (give it another cluster_name)"
      )
    }
    let verb = existing == nil ? "creating" : "updating"
    progress(
      "\(verb) AKS cluster \(cluster.clusterName): \(cluster.agentCount) × \(cluster.vmSize), \(cluster.purpose.rawValue)"
        + (cluster.kubernetesVersion.map { ", Kubernetes \($0)" } ?? ""))
    let made = try await azure("\(verb) AKS cluster \(cluster.clusterName)") {
      try await client.put(
        cluster.resourceID, apiVersion: ManagedClusterRenderer.apiVersion,
        body: ManagedClusterRenderer.body(cluster, computeTarget: name), progress: progress)
    }
    connections.withLockedValue { $0[cluster.resourceID] = nil }
    return (
      ApplyResponse(
        outputs: outputs(made, cluster),
        message: "\(existing == nil ? "created" : "updated") AKS cluster \(cluster.clusterName) in \(cluster.resourceGroup)"),
      made
    )
  }

  public func deprovision(name: String, previous: Attributes, progress: @escaping @Sendable (String) -> Void)
    async throws -> ApplyResponse
  {
    let cluster = try AKSClusterSettings.locate(previous, name: name)
    guard cluster.creates else {
      return ApplyResponse(message: "forgotten AKS cluster \(cluster.clusterName) (attached, so left running)")
    }
    progress("deleting AKS cluster \(cluster.clusterName)")
    try await azure("deleting AKS cluster \(cluster.clusterName)") {
      try await arm(cluster).delete(cluster.resourceID, apiVersion: ManagedClusterRenderer.apiVersion, progress: progress)
    }
    connections.withLockedValue { $0[cluster.resourceID] = nil }
    return ApplyResponse(message: "deleted AKS cluster \(cluster.clusterName) from \(cluster.resourceGroup)")
  }

  func read(_ cluster: AKSClusterSettings, _ client: ARMClient) async throws -> [String: Any]? {
    try await azure("reading AKS cluster \(cluster.clusterName)") {
      try await client.get(cluster.resourceID, apiVersion: ManagedClusterRenderer.apiVersion)
    }
  }

  /// Reads the cluster until no operation runs on it (at most an hour: AKS operations take minutes).
  func settle(_ cluster: AKSClusterSettings, _ client: ARMClient) async throws -> [String: Any]? {
    let deadline = ContinuousClock.now + .seconds(3600)
    while ContinuousClock.now < deadline {
      guard let resource = try await read(cluster, client) else { return nil }
      if !ManagedClusterRenderer.isBusy(resource) { return resource }
      try await Task.sleep(for: pollInterval)
    }
    throw TargetError("AKS cluster \(cluster.clusterName) was still busy after an hour", isRetryable: true)
  }

  /// What is recorded: which resource the cluster is, its API server name and what it runs.
  func outputs(_ resource: [String: Any], _ cluster: AKSClusterSettings) -> Attributes {
    let properties = resource["properties"] as? [String: Any] ?? [:]
    var outputs: Attributes = ["resource_id": .string(cluster.resourceID)]
    if let fqdn = properties["fqdn"] as? String { outputs["fqdn"] = .string(fqdn) }
    if let version = properties["currentKubernetesVersion"] as? String ?? properties["kubernetesVersion"] as? String {
      outputs["kubernetes_version_running"] = .string(version)
    }
    if let group = properties["nodeResourceGroup"] as? String { outputs["node_resource_group"] = .string(group) }
    return outputs
  }

  // MARK: - Connect

  public func connection(_ settings: [String: FieldValue], namespace: String) async throws -> ClusterConnection {
    let cluster = try AKSClusterSettings.locate(settings, name: "cluster")
    if var known = connections.withLockedValue({ $0[cluster.resourceID] }) {
      known.namespace = namespace
      return known
    }
    let answer = try await azure("reading the user credential of AKS cluster \(cluster.clusterName)") {
      try await arm(cluster).post(
        cluster.resourceID + "/listClusterUserCredential", apiVersion: ManagedClusterRenderer.apiVersion)
    }
    guard let first = (answer["kubeconfigs"] as? [[String: Any]])?.first, let encoded = first["value"] as? String,
      let data = Data(base64Encoded: encoded)
    else {
      throw TargetError("AKS cluster \(cluster.clusterName): listClusterUserCredential returned no kubeconfig")
    }
    var connection: ClusterConnection
    do {
      let config = try Kubeconfig.parse(
        String(decoding: data, as: UTF8.self), path: "listClusterUserCredential of \(cluster.clusterName)")
      connection = try config.connection(context: nil, baseDirectory: "/nonexistent")
    } catch let error as KubernetesError {
      throw error.targetError
    }
    connection.namespace = namespace
    connections.withLockedValue { $0[cluster.resourceID] = connection }
    return connection
  }

  // MARK: - Observe

  public func observe(name: String, settings: [String: FieldValue]) async throws -> Observation {
    let cluster = try AKSClusterSettings.resolve(settings, name: name)
    guard let resource = try await read(cluster, arm(cluster)) else {
      return Observation(health: .missing, message: "AKS cluster \(cluster.resourceID) does not exist")
    }
    let state = ManagedClusterRenderer.provisioningState(resource)
    if state == "Failed" {
      return Observation(health: .degraded, message: "its last operation failed (provisioningState Failed)")
    }
    if ManagedClusterRenderer.isBusy(resource) {
      return Observation(health: .progressing, message: "provisioningState \(state)")
    }
    let differences = cluster.creates ? ManagedClusterRenderer.differences(resource, cluster) : []
    if !differences.isEmpty {
      return Observation(health: .degraded, message: differences.joined(separator: "; "))
    }
    return Observation(health: .healthy, message: "AKS cluster \(cluster.clusterName) \(state)")
  }
}
