import BerthAzure
import BerthGateway
import BerthModel
import BerthTargetAPI
import Foundation

/// Where an `aci` compute target puts its container groups: subscription, resource group, region, and which
/// Resource Manager answers (the public cloud unless `resource_manager` says otherwise).
public struct ACITarget: Hashable, Sendable {
  public var subscriptionID: String
  public var resourceGroup: String
  public var location: String
  public var resourceManager: String
  /// The variable holding the secret the gateway keys of the target's services are derived from (`auth_secret_env`).
  public var authSecretEnv: String?

  /// The target settings recorded with each service, so a delete finds its group without the manifests (and
  /// `berth endpoints get-credentials` its keys).
  public static let recordedKeys = ["subscription_id", "resource_group", "location", "resource_manager", "auth_secret_env"]

  /// Reads the compute target's settings; a missing or malformed one is an error naming the field.
  public static func resolve(_ settings: [String: FieldValue]) throws -> ACITarget {
    func text(_ key: String) -> String? {
      if case .string(let value)? = settings[key], !value.isEmpty { return value }
      return nil
    }
    var missing: [String] = []
    let subscription = text("subscription_id")
    let group = text("resource_group")
    let location = text("location")
    if subscription == nil { missing.append("subscription_id") }
    if group == nil { missing.append("resource_group") }
    if location == nil { missing.append("location") }
    guard missing.isEmpty, let subscription, let group, let location else {
      throw TargetError("an aci compute target needs \(missing.joined(separator: ", "))")
    }
    let manager: String
    do {
      manager = try ARMClient.resourceManagerURL(text("resource_manager"))
    } catch {
      throw TargetError("\(error)")
    }
    return ACITarget(
      subscriptionID: subscription, resourceGroup: group, location: location, resourceManager: manager,
      authSecretEnv: text("auth_secret_env"))
  }

  /// `/subscriptions/S/resourceGroups/G/providers/Microsoft.ContainerInstance/containerGroups/NAME`.
  public func containerGroupPath(_ name: String) -> String {
    "/subscriptions/\(subscriptionID)/resourceGroups/\(resourceGroup)/providers/Microsoft.ContainerInstance/containerGroups/\(name)"
  }
}

/// A service's deployment settings as the ACI target reads them, with `AciWebservice.deploy_configuration`'s
/// defaults: 0.1 cores, 0.5 GB, no GPU, port 80, the DNS label the service's instance name.
public struct ACIServiceSettings: Hashable, Sendable {
  public var cpuCores: Double
  public var memoryGB: Double
  public var gpuCores: Int
  /// The public port (the gateway's when it runs, else the scoring server's).
  public var port: Int
  public var dnsNameLabel: String
  /// The service's own `location`, else the target's.
  public var location: String
  public var workerCount: Int
  public var scoringTimeoutMs: Int
  /// Seconds apply waits for the group to run.
  public var waitTimeoutSeconds: Int
  /// Who may score when the service asks for a key check (`auth_enabled`; token auth is AKS-only, as in Azure ML):
  /// a gateway container then runs in the group; nil: none.
  public var gatewayAuth: AuthMode?
  /// The gateway's request limits (`replica_max_concurrent_requests`, `max_request_wait_time` in ms).
  public var replicaMaxConcurrentRequests: Int
  public var maxRequestWaitTimeMs: Int
  public var environmentVariables: [String: String]

  /// The GPU SKU ACI is asked for when `gpu_cores` > 0 (the manifests name no SKU; V100 is available in most regions).
  public static let gpuSKU = "V100"

  public init(_ settings: [String: FieldValue], instance: String, target: ACITarget) {
    func int(_ key: String) -> Int? {
      switch settings[key] {
      case .int(let value)?: value
      case .double(let value)? where value == value.rounded(): Int(value)
      default: nil
      }
    }
    func double(_ key: String) -> Double? {
      switch settings[key] {
      case .int(let value)?: Double(value)
      case .double(let value)?: value
      default: nil
      }
    }
    func text(_ key: String) -> String? {
      if case .string(let value)? = settings[key], !value.isEmpty { return value }
      return nil
    }
    cpuCores = double("cpu_cores") ?? 0.1
    memoryGB = double("memory_gb") ?? 0.5
    gpuCores = int("gpu_cores") ?? 0
    port = int("port") ?? 80
    dnsNameLabel = text("dns_name_label") ?? instance
    location = text("location") ?? target.location
    workerCount = max(1, int("worker_count") ?? 1)
    scoringTimeoutMs = int("scoring_timeout_ms") ?? 60_000
    waitTimeoutSeconds = int("wait_timeout") ?? 600
    gatewayAuth = settings["auth_enabled"] == .bool(true) ? .key : nil
    replicaMaxConcurrentRequests = max(1, int("replica_max_concurrent_requests") ?? 1)
    maxRequestWaitTimeMs = int("max_request_wait_time") ?? 500
    var variables: [String: String] = [:]
    let prefix = "environment_variables."
    for (key, value) in settings where key.hasPrefix(prefix) {
      if case .string(let text) = value { variables[String(key.dropFirst(prefix.count))] = text }
    }
    environmentVariables = variables
  }

  /// `http://LABEL.LOCATION.azurecontainer.io[:PORT]/score`: the address ACI gives a public group.
  public var scoringURI: String {
    "http://\(dnsNameLabel).\(location).azurecontainer.io\(port == 80 ? "" : ":\(port)")/score"
  }
}
