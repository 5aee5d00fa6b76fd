import BerthAzure
import BerthModel
import BerthTargetAPI

/// An AKS cluster as a compute target describes it: one Berth creates and updates (`subscription_id`,
/// `resource_group`, `location`, `vm_size`, `agent_count`, `cluster_purpose`, `kubernetes_version`), or one it only
/// attaches (`cluster_resource_id`). The defaults are `AksCompute.provisioning_configuration`'s.
public struct AKSClusterSettings: Hashable, Sendable {
  public enum Purpose: String, Hashable, Sendable, CaseIterable {
    /// Production: at least 3 nodes, the Standard tier (uptime SLA).
    case fastProd = "FastProd"
    /// Development and tests: any number of nodes, the Free tier.
    case devTest = "DevTest"
  }

  public var subscriptionID: String
  public var resourceGroup: String
  public var clusterName: String
  public var resourceManager: String
  /// True for a cluster Berth creates; false for one attached by `cluster_resource_id`.
  public var creates: Bool
  public var location: String?
  public var vmSize: String
  public var agentCount: Int
  public var purpose: Purpose
  public var kubernetesVersion: String?

  public static let defaultVMSize = "Standard_D3_v2"
  public static let defaultAgentCount = 3
  /// The one node pool of a cluster Berth creates.
  public static let poolName = "nodepool1"

  /// `/subscriptions/S/resourceGroups/G/providers/Microsoft.ContainerService/managedClusters/NAME`.
  public var resourceID: String {
    "/subscriptions/\(subscriptionID)/resourceGroups/\(resourceGroup)/providers/Microsoft.ContainerService/managedClusters/\(clusterName)"
  }

  /// Whether the settings describe an AKS cluster reached through Resource Manager rather than a kubeconfig.
  public static func describesCluster(_ settings: [String: FieldValue]) -> Bool {
    settings["cluster_resource_id"] != nil || settings["resource_group"] != nil
  }

  /// Only where the cluster is (what services record to reach it later: subscription, group, name, Resource Manager),
  /// without the fields that describe a cluster to create.
  public static func locate(_ settings: [String: FieldValue], name: String) throws -> AKSClusterSettings {
    guard settings["cluster_resource_id"] == nil else { return try resolve(settings, name: name) }
    var located = settings
    if located["location"] == nil { located["location"] = .string("(recorded elsewhere)") }
    located["agent_count"] = nil
    located["cluster_purpose"] = nil
    return try resolve(located, name: name)
  }

  /// Reads the settings of compute target `name`; what is missing or malformed is an error naming the field.
  public static func resolve(_ settings: [String: FieldValue], name: String) throws -> AKSClusterSettings {
    func text(_ key: String) -> String? {
      if case .string(let value)? = settings[key], !value.isEmpty { return value }
      return nil
    }
    let manager: String
    do {
      manager = try ARMClient.resourceManagerURL(text("resource_manager"))
    } catch {
      throw TargetError("\(error)")
    }
    if let id = text("cluster_resource_id") {
      let parts = id.split(separator: "/").map(String.init)
      guard parts.count == 8, parts[0].lowercased() == "subscriptions", parts[2].lowercased() == "resourcegroups",
        parts[4].lowercased() == "providers", parts[5].lowercased() == "microsoft.containerservice",
        parts[6].lowercased() == "managedclusters"
      else {
        throw TargetError(
          "cluster_resource_id must be /subscriptions/ID/resourceGroups/GROUP/providers/Microsoft.ContainerService/managedClusters/NAME"
        )
      }
      return AKSClusterSettings(
        subscriptionID: parts[1], resourceGroup: parts[3], clusterName: parts[7], resourceManager: manager, creates: false,
        location: nil, vmSize: defaultVMSize, agentCount: defaultAgentCount, purpose: .fastProd, kubernetesVersion: nil)
    }
    var missing: [String] = []
    if text("subscription_id") == nil { missing.append("subscription_id") }
    if text("resource_group") == nil { missing.append("resource_group") }
    if text("location") == nil { missing.append("location") }
    guard missing.isEmpty, let subscription = text("subscription_id"), let group = text("resource_group"),
      let location = text("location")
    else {
      throw TargetError(
        "an AKS cluster Berth creates needs \(missing.joined(separator: ", ")) (or cluster_resource_id to attach one)")
    }
    let clusterName = text("cluster_name") ?? name
    guard ManagedClusterNames.isClusterName(clusterName) else {
      throw TargetError(
        "'\(clusterName)' is not a valid AKS cluster name (1–63 letters, digits, '-' and '_', starting and ending with a letter or digit); set cluster_name"
      )
    }
    var count = defaultAgentCount
    switch settings["agent_count"] {
    case .int(let value)?: count = value
    case .double(let value)? where value == value.rounded(): count = Int(value)
    default: break
    }
    let purpose = text("cluster_purpose").flatMap(Purpose.init(rawValue:)) ?? .fastProd
    if purpose == .fastProd, count < 3 {
      throw TargetError("cluster_purpose FastProd needs agent_count of at least 3 (got \(count)); use DevTest for fewer nodes")
    }
    return AKSClusterSettings(
      subscriptionID: subscription, resourceGroup: group, clusterName: clusterName, resourceManager: manager, creates: true,
      location: location, vmSize: text("vm_size") ?? defaultVMSize, agentCount: count, purpose: purpose,
      kubernetesVersion: text("kubernetes_version"))
  }
}

/// The names AKS accepts.
enum ManagedClusterNames {
  static func isClusterName(_ name: String) -> Bool {
    guard (1...63).contains(name.count), let first = name.first, let last = name.last else { return false }
    let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    return allowed && (first.isLetter || first.isNumber) && (last.isLetter || last.isNumber)
  }

  /// A DNS prefix from the cluster name: letters, digits and '-', at most 54 characters, starting with a letter.
  static func dnsPrefix(_ clusterName: String) -> String {
    var prefix = String(clusterName.map { $0.isLetter || $0.isNumber ? $0 : "-" }.prefix(54))
    if let first = prefix.first, !first.isLetter { prefix = "a" + prefix.dropLast(prefix.count >= 54 ? 1 : 0) }
    while prefix.hasSuffix("-") { prefix.removeLast() }
    return prefix
  }
}
