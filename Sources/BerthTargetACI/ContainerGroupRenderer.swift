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

  /// The gateway container's image and the secret it checks requests with (keys JSON, or the signing key).
  public struct GatewayPart: Hashable, Sendable {
    public var image: String
    public var secret: String

    public init(image: String, secret: String) {
      self.image = image
      self.secret = secret
    }
  }

  /// The PUT body of the service's container group; with `gateway` (a service with `settings.gatewayAuth`), the
  /// gateway takes the public port and the scoring container listens on the group's localhost only.
  public static func body(
    _ deployment: ServiceDeployment, image: ContainerImage, settings: ACIServiceSettings,
    credential: RegistryCredential?, gateway: GatewayPart? = nil
  ) -> [String: Any] {
    var environment = deployment.environmentVariables.merging(settings.environmentVariables) { _, service in service }
    environment["WORKER_COUNT"] = String(settings.workerCount)
    environment["SCORING_TIMEOUT_MS"] = String(settings.scoringTimeoutMs)
    environment["SERVICE_NAME"] = deployment.name
    environment["SERVICE_VERSION"] = deployment.revision
    var requests: [String: Any] = ["cpu": settings.cpuCores, "memoryInGB": settings.memoryGB]
    if settings.gpuCores > 0 { requests["gpu"] = ["count": settings.gpuCores, "sku": ACIServiceSettings.gpuSKU] }
    let gatewayMode = gateway.flatMap { _ in settings.gatewayAuth }
    // Behind the gateway the scoring server keeps its image's port, reachable only inside the group.
    let scoringPort = gatewayMode == nil ? settings.port : ScoringImageLayout.port
    var container: [String: Any] = [
      "image": image.reference,
      "ports": [["port": scoringPort, "protocol": "TCP"]],
      "environmentVariables": environment.keys.sorted().map { ["name": $0, "value": environment[$0]!] },
      "resources": ["requests": requests],
      "readinessProbe": [
        "httpGet": ["path": "/", "port": scoringPort, "scheme": "http"], "periodSeconds": 10, "failureThreshold": 3,
      ],
    ]
    // azmlinfsrv reads its entry script from AZUREML_ENTRY_SCRIPT (set in the image); only the port changes.
    if scoringPort != ScoringImageLayout.port {
      container["command"] = [ScoringImageLayout.launcher, "--port", String(scoringPort)]
    }
    var containers: [[String: Any]] = [["name": scoringContainer, "properties": container]]
    var volumes: [[String: Any]] = []
    if let gateway, let gatewayMode {
      let configuration = ACIGateway.configuration(deployment, settings: settings, mode: gatewayMode)
      containers.append(ACIGateway.container(image: gateway.image, configuration: configuration, secretValue: gateway.secret))
      volumes.append(ACIGateway.volume(configuration))
    }
    var properties: [String: Any] = [
      "osType": "Linux",
      "restartPolicy": "Always",
      "containers": containers,
      "ipAddress": [
        "type": "Public", "dnsNameLabel": settings.dnsNameLabel, "ports": [["port": settings.port, "protocol": "TCP"]],
      ],
    ]
    if !volumes.isEmpty { properties["volumes"] = volumes }
    if let credential {
      properties["imageRegistryCredentials"] = [
        ["server": credential.server, "username": credential.username, "password": credential.password]
      ]
    }
    return ["location": settings.location, "tags": tags(deployment), "properties": properties]
  }

  /// The body as JSON text with every secret (registry passwords, secure variables) replaced by `****`: what
  /// `berth render` and error messages may show.
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
      if let containers = properties["containers"] as? [[String: Any]] {
        properties["containers"] = containers.map { container in
          var masked = container
          guard var inner = container["properties"] as? [String: Any],
            let variables = inner["environmentVariables"] as? [[String: Any]]
          else { return container }
          inner["environmentVariables"] = variables.map { variable in
            var hidden = variable
            if hidden["secureValue"] != nil { hidden["secureValue"] = "****" }
            return hidden
          }
          masked["properties"] = inner
          return masked
        }
      }
      shown["properties"] = properties
    }
    let data = (try? JSONSerialization.data(withJSONObject: shown, options: [.sortedKeys, .prettyPrinted])) ?? Data()
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
