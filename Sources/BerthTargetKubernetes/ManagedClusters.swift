import BerthModel
import BerthTargetAPI

/// A cluster reached through its cloud's API rather than a kubeconfig file: created or attached from the compute
/// target's settings, its credentials fetched when needed and kept in memory (AKS: `BerthTargetAKS`).
///
/// The Kubernetes target asks it for a connection whenever `handles` says the settings are its own; everything after
/// the connection (server-side apply, rollouts, observation, endpoints) is the Kubernetes target's as usual.
public protocol ManagedClusters: Sendable {
  /// Whether these compute target settings describe a managed cluster (`cluster_resource_id`, `resource_group`, …).
  func handles(_ settings: [String: FieldValue]) -> Bool
  /// The settings with what defaults to the compute target's name written out (`cluster_name`), so that services
  /// record everything needed to reach the cluster later.
  func completed(_ settings: [String: FieldValue], computeTarget name: String) -> [String: FieldValue]
  /// What is wrong with the settings, without IO (nil: they resolve).
  func problem(with settings: [String: FieldValue]) -> String?
  /// Creates or updates the cluster the settings describe (or checks that an attached one exists), and lets it pull
  /// from `registry` where the cloud can grant that; the outputs say which cloud resource it is (`resource_id`).
  func provision(
    name: String, settings: [String: FieldValue], registry: RegistryReference?,
    progress: @escaping @Sendable (String) -> Void
  ) async throws -> ApplyResponse
  /// Removes a cluster that `provision` created (a replace, or the compute target destroyed); `previous` holds its
  /// recorded settings and outputs. An attached cluster is left alone.
  func deprovision(name: String, previous: Attributes, progress: @escaping @Sendable (String) -> Void)
    async throws -> ApplyResponse
  /// How to reach the cluster's API server; `namespace` is the compute target's (or the default).
  func connection(_ settings: [String: FieldValue], namespace: String) async throws -> ClusterConnection
  /// The cluster as its cloud has it, compared with the settings: missing, degraded with what differs, or healthy.
  func observe(name: String, settings: [String: FieldValue]) async throws -> Observation
}
