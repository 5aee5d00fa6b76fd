import BerthGateway
import BerthModel
import BerthTargetAPI
import Crypto
import Foundation

/// A service's own gateway on ACI (`auth_enabled` / `token_auth_enabled`): a second container in the group, from the
/// gateway image `berth apply` builds, listening on the public port and forwarding to the scoring container on the
/// group's localhost; it checks keys or tokens and enforces the request limits, as the gateway does elsewhere.
///
/// ACI keeps no secret Berth can read back (ARM never returns secure values), so the keys are derived: HMAC-SHA256 of
/// the container group's resource id under the secret in the target's `auth_secret_env` variable. The same secret and
/// group always give the same keys (an update keeps them); `berth endpoints get-credentials` derives them again; a
/// new secret rotates them on the next apply.
public enum ACIGateway {
  public static let container = "gateway"
  /// Where the gateway image's default command reads its configuration (a secret volume here).
  public static let configFolder = "/etc/berth-gateway/routes"
  public static let configFile = "gateway.json"
  /// The secure environment variables carrying the keys or the signing key into the gateway container.
  public static let keysVariable = "BERTH_GATEWAY_KEYS"
  public static let signingKeyVariable = "BERTH_GATEWAY_SIGNING_KEY"
  /// What the gateway container asks for on top of the scoring container.
  public static let cpu = 0.25
  public static let memoryGB = 0.25

  /// The keys and signing key of the group at `resourceID`, from the target's secret.
  public static func secrets(secret: String, resourceID: String) -> (keys: EndpointKeys, signingKey: String) {
    let key = SymmetricKey(data: Data(secret.utf8))
    func derive(_ purpose: String) -> String {
      let mac = HMAC<SHA256>.authenticationCode(
        for: Data("berth-aci-gateway/v1|\(resourceID.lowercased())|\(purpose)".utf8), using: key)
      return Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
    return (EndpointKeys(primaryKey: derive("primary"), secondaryKey: derive("secondary")), derive("signing"))
  }

  /// The gateway's configuration: one deployment, the scoring container on localhost, all traffic to it.
  public static func configuration(_ deployment: ServiceDeployment, settings: ACIServiceSettings, mode: AuthMode)
    -> GatewayConfiguration
  {
    GatewayConfiguration(
      endpoint: deployment.instance, listenAddress: "0.0.0.0", port: settings.port, authMode: mode,
      deployments: [
        GatewayConfiguration.Deployment(
          name: deployment.name, upstreams: ["127.0.0.1:\(ScoringImageLayout.port)"],
          replicaMaxConcurrentRequests: settings.replicaMaxConcurrentRequests,
          maxRequestWaitTimeMs: settings.maxRequestWaitTimeMs, scoringTimeoutMs: settings.scoringTimeoutMs)
      ], traffic: [deployment.name: 100], reloadIntervalMs: 1000,
      keysEnv: mode == .key ? keysVariable : nil, tokenSigningKeyEnv: mode == .amlToken ? signingKeyVariable : nil)
  }

  /// The configuration as the file the gateway reads (sorted keys: an unchanged route table is an unchanged body).
  static func configurationText(_ configuration: GatewayConfiguration) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(configuration)) ?? Data(), as: UTF8.self)
  }

  /// The gateway container of the group body.
  static func container(image: String, configuration: GatewayConfiguration, secretValue: String) -> [String: Any] {
    let variable = configuration.authMode == .amlToken ? signingKeyVariable : keysVariable
    return [
      "name": container,
      "properties": [
        "image": image,
        "ports": [["port": configuration.port, "protocol": "TCP"]],
        "environmentVariables": [["name": variable, "secureValue": secretValue]],
        "resources": ["requests": ["cpu": cpu, "memoryInGB": memoryGB]],
        "volumeMounts": [["name": container, "mountPath": configFolder, "readOnly": true]],
        "readinessProbe": [
          "httpGet": ["path": "/", "port": configuration.port, "scheme": "http"], "periodSeconds": 10,
          "failureThreshold": 3,
        ],
      ] as [String: Any],
    ]
  }

  /// The secret volume holding the configuration (not itself secret, but ACI mounts files only from volumes).
  static func volume(_ configuration: GatewayConfiguration) -> [String: Any] {
    ["name": container, "secret": [configFile: Data(configurationText(configuration).utf8).base64EncodedString()]]
  }
}
