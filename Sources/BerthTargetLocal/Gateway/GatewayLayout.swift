import BerthGateway

/// Where one gateway's files live: an endpoint's `<runtime>/_endpoints/<endpoint>/`, or the `gateway/` folder of a
/// service that has its own address.
///
/// ```
/// endpoint.json            what the endpoint declares (EndpointDefinition)
/// deployments/<name>.json  one deployment's scoring servers and limits, written by its service's rollout
/// gateway.json             the gateway's configuration, composed from the two above (atomic)
/// keys.json                primary and secondary key (0600), for auth_mode key
/// token.key                the token signing key (0600), for auth_mode aml_token
/// data/                    collected model data
/// gateway.log              the gateway's output
/// listening.json           written by the gateway: address, port, pid, digest of the configuration it serves
/// process.json             the gateway process as started: pid and kernel start time
/// gateway.lock             held while composing, so concurrent rollouts of one endpoint do not lose an entry
/// ```
public struct GatewayLayout: Sendable, Hashable {
  /// The folder.
  public var root: String
  /// The folder the process scan identifies the gateway by (`BERTH_SERVICE_DIR`): the service root for a service's
  /// own gateway, `root` for an endpoint.
  public var ownerRoot: String

  public init(root: String, ownerRoot: String) {
    self.root = root
    self.ownerRoot = ownerRoot
  }

  public var definitionFile: String { root + "/endpoint.json" }
  public var deploymentsDirectory: String { root + "/deployments" }
  public func deploymentFile(_ name: String) -> String {
    deploymentsDirectory + "/" + ServiceLayout.safeName(name) + ".json"
  }
  public var configurationFile: String { root + "/gateway.json" }
  public var keysFile: String { root + "/keys.json" }
  public var signingKeyFile: String { root + "/token.key" }
  public var dataDirectory: String { root + "/data" }
  public var logFile: String { root + "/gateway.log" }
  public var listeningFile: String { root + "/listening.json" }
  public var processRecordFile: String { root + "/process.json" }
  var lockFile: String { root + "/gateway.lock" }
}

extension GatewayLayout {
  /// The fingerprint of the secret `mode` uses in this folder (`SecretFingerprint`).
  func fingerprint(_ mode: AuthMode) -> String? {
    SecretFingerprint.read(mode: mode, keysFile: keysFile, signingKeyFile: signingKeyFile)
  }
}
