import BerthModel

/// The `Microsoft.ContainerService/managedClusters` body of a cluster Berth creates, and how an existing cluster
/// differs from it.
public enum ManagedClusterRenderer {
  /// The api-version Berth speaks for managed clusters (GA).
  public static let apiVersion = "2024-05-01"

  /// One system node pool of `agent_count` × `vm_size` (Linux, scale set), a system-assigned identity, RBAC on,
  /// local accounts on (Berth reads the user credential), the tier from `cluster_purpose`.
  public static func body(_ cluster: AKSClusterSettings, computeTarget: String) -> [String: Any] {
    var properties: [String: Any] = [
      "dnsPrefix": ManagedClusterNames.dnsPrefix(cluster.clusterName),
      "enableRBAC": true,
      "agentPoolProfiles": [
        [
          "name": AKSClusterSettings.poolName, "count": cluster.agentCount, "vmSize": cluster.vmSize, "mode": "System",
          "osType": "Linux", "type": "VirtualMachineScaleSets",
        ] as [String: Any]
      ],
    ]
    if let version = cluster.kubernetesVersion { properties["kubernetesVersion"] = version }
    return [
      "location": cluster.location ?? "",
      "tags": [
        "managed-by": "berth", "berth.dev/compute-target": computeTarget, "berth.dev/cluster-purpose": cluster.purpose.rawValue,
      ],
      "identity": ["type": "SystemAssigned"],
      "sku": ["name": "Base", "tier": tier(cluster.purpose)],
      "properties": properties,
    ]
  }

  static func tier(_ purpose: AKSClusterSettings.Purpose) -> String { purpose == .fastProd ? "Standard" : "Free" }

  /// What an existing cluster has that the settings do not ask for, as `field: on Azure → declared` lines; empty when it
  /// is as declared. Only what Berth sets is compared (other pools, add-ons and tags are the cluster owner's).
  public static func differences(_ resource: [String: Any], _ cluster: AKSClusterSettings) -> [String] {
    let properties = resource["properties"] as? [String: Any] ?? [:]
    let pool = (properties["agentPoolProfiles"] as? [[String: Any]])?.first {
      ($0["name"] as? String) == AKSClusterSettings.poolName
    }
    var found: [String] = []
    func compare(_ field: String, _ actual: String?, _ wanted: String?) {
      guard let wanted, actual?.lowercased() != wanted.lowercased() else { return }
      found.append("\(field) \(actual ?? "(none)") on Azure, \(wanted) declared")
    }
    compare("location", (resource["location"] as? String).map(normalisedLocation), cluster.location.map(normalisedLocation))
    compare("agent_count", (pool?["count"] as? Int).map(String.init), String(cluster.agentCount))
    compare("vm_size", pool?["vmSize"] as? String, cluster.vmSize)
    compare(
      "kubernetes_version", properties["currentKubernetesVersion"] as? String ?? properties["kubernetesVersion"] as? String,
      cluster.kubernetesVersion)
    compare("cluster_purpose tier", (resource["sku"] as? [String: Any])?["tier"] as? String, tier(cluster.purpose))
    return found
  }

  /// `West Europe` and `westeurope` are the same region.
  static func normalisedLocation(_ location: String) -> String {
    location.lowercased().filter { !$0.isWhitespace }
  }

  /// What the cluster's `provisioningState` says about an operation still running on it.
  static func isBusy(_ resource: [String: Any]) -> Bool {
    let state = (resource["properties"] as? [String: Any])?["provisioningState"] as? String ?? "Succeeded"
    return !["Succeeded", "Failed", "Canceled"].contains(state)
  }

  static func provisioningState(_ resource: [String: Any]) -> String {
    (resource["properties"] as? [String: Any])?["provisioningState"] as? String ?? "Succeeded"
  }
}
