import BerthModel
import BerthTargetAPI
import Foundation

/// A service as one `Microsoft.ContainerInstance/containerGroups` resource (api-version 2023-05-01): the scoring image
/// by digest, its resources, environment, registry credentials and a public IP with the DNS label and the port.
///
/// Pure: values in, a request body out. Secrets (registry passwords) come in as values and go only into the body
/// sent to Resource Manager, which never returns them.
public enum ContainerGroupRenderer {
  /// The container that runs `azmlinfsrv`.
  public static let scoringContainer = "scoring"
  public static let apiVersion = "2023-05-01"

  /// Tags Berth writes on every group it owns: who manages it, the service, and the revision running.
  public static func tags(_ deployment: ServiceDeployment) -> [String: String] {
    ["managed-by": "berth", "berth.dev/service": deployment.name, "berth.dev/revision": deployment.revision]
  }

  /// Pull credentials for a private registry, read by the caller from the variables the image names.
  public struct RegistryCredential: Hashable, Sendable {
    public var server: String
    public var username: String
    public var password: String

    public init(server: String, username: String, password: String) {
      self.server = server
      self.username = username
      self.password = password
    }
  }

  /// The PUT body of the service's container group.
  public static func body(
    _ deployment: ServiceDeployment, image: ContainerImage, settings: ACIServiceSettings,
    credential: RegistryCredential?
  ) -> [String: Any] {
    var environment = deployment.environmentVariables.merging(settings.environmentVariables) { _, service in service }
    environment["WORKER_COUNT"] = String(settings.workerCount)
    environment["SCORING_TIMEOUT_MS"] = String(settings.scoringTimeoutMs)
    environment["SERVICE_NAME"] = deployment.name
    environment["SERVICE_VERSION"] = deployment.revision
    var requests: [String: Any] = ["cpu": settings.cpuCores, "memoryInGB": settings.memoryGB]
    if settings.gpuCores > 0 { requests["gpu"] = ["count": settings.gpuCores, "sku": ACIServiceSettings.gpuSKU] }
    var container: [String: Any] = [
      "image": image.reference,
      "ports": [["port": settings.port, "protocol": "TCP"]],
      "environmentVariables": environment.keys.sorted().map { ["name": $0, "value": environment[$0]!] },
      "resources": ["requests": requests],
      "readinessProbe": [
        "httpGet": ["path": "/", "port": settings.port, "scheme": "http"], "periodSeconds": 10, "failureThreshold": 3,
      ],
    ]
    // azmlinfsrv reads its entry script from AZUREML_ENTRY_SCRIPT (set in the image); only the port changes.
    if settings.port != ScoringImageLayout.port {
      container["command"] = [ScoringImageLayout.launcher, "--port", String(settings.port)]
    }
    var properties: [String: Any] = [
      "osType": "Linux",
      "restartPolicy": "Always",
      "containers": [["name": scoringContainer, "properties": container]],
      "ipAddress": [
        "type": "Public", "dnsNameLabel": settings.dnsNameLabel, "ports": [["port": settings.port, "protocol": "TCP"]],
      ],
    ]
    if let credential {
      properties["imageRegistryCredentials"] = [
        ["server": credential.server, "username": credential.username, "password": credential.password]
      ]
    }
    return ["location": settings.location, "tags": tags(deployment), "properties": properties]
  }

  /// The body as JSON text with every secret replaced by `****`: what `berth render` and error messages may show.
  public static func redactedJSON(_ body: [String: Any]) -> String {
    var shown = body
    if var properties = shown["properties"] as? [String: Any] {
      if let credentials = properties["imageRegistryCredentials"] as? [[String: Any]] {
        properties["imageRegistryCredentials"] = credentials.map { credential in
          var masked = credential
          masked["password"] = "****"
          return masked
        }
      }
      shown["properties"] = properties
    }
    let data = (try? JSONSerialization.data(withJSONObject: shown, options: [.sortedKeys, .prettyPrinted])) ?? Data()
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
