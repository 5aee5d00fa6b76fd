import Foundation

/// What one gateway serves: a JSON file written atomically (temp + rename) by whoever launches the gateway.
///
/// Secrets are never in this value: it names the 0600 files that hold them. Field names are the manifest's
/// (`traffic`, `mirror_traffic`, `replica_max_concurrent_requests`, …) so a target maps an `Endpoint` and its
/// services onto it field by field.
public struct GatewayConfiguration: Codable, Sendable, Hashable {
  /// The endpoint's name; tokens are issued for it and carry it.
  public var endpoint: String
  /// The address to bind (`127.0.0.1` by default).
  public var listenAddress: String
  /// The port to bind; 0 picks a free one (the bound port is written to `listening_file` when set).
  public var port: Int
  /// Who may score.
  public var authMode: AuthMode
  /// The 0600 JSON file with `primary_key` and `secondary_key`; required when `auth_mode` is `key`.
  public var keysFile: String?
  /// The 0600 file with the base64 token signing key; required when `auth_mode` is `aml_token`.
  public var tokenSigningKeyFile: String?
  /// Instead of `keys_file`: the environment variable holding the keys JSON (containers whose secrets come as
  /// environment, such as ACI's secure variables). Read once at start; never logged.
  public var keysEnv: String?
  /// Instead of `token_signing_key_file`: the environment variable holding the base64url signing key.
  public var tokenSigningKeyEnv: String?
  /// The deployments behind the endpoint.
  public var deployments: [Deployment]
  /// Percent of live traffic per deployment: sums to 100, or every value is 0.
  public var traffic: [String: Int]
  /// Percent of live requests copied to one deployment that takes no live traffic (≤ 50).
  public var mirrorTraffic: [String: Int]
  /// Where collected model data goes: `<folder>/<deployment>/data.jsonl`.
  public var modelDataFolder: String?
  /// The size at which a data file is rotated.
  public var modelDataMaxBytes: Int
  /// How often the configuration and key files are checked for changes.
  public var reloadIntervalMs: Int
  /// When set, the gateway writes `{"address":…, "port":…, "pid":…}` here once it listens.
  public var listeningFile: String?

  /// One deployment: a service's scoring servers and their limits.
  public struct Deployment: Codable, Sendable, Hashable {
    /// The deployment's (service's) name, as in `traffic` and the `azureml-model-deployment` header.
    public var name: String
    /// The scoring servers (`azmlinfsrv`), `host:port`; requests go round-robin.
    public var upstreams: [String]
    /// The number of replicas behind `upstreams` (defaults to one per upstream).
    public var replicas: Int?
    /// Requests one replica scores at once.
    public var replicaMaxConcurrentRequests: Int
    /// How long a request may wait for a free slot before it is refused.
    public var maxRequestWaitTimeMs: Int
    /// How long a scoring call may take before the gateway cuts it.
    public var scoringTimeoutMs: Int
    /// Whether inputs and outputs of `/score` are appended to the model data folder.
    public var collectModelData: Bool

    /// Creates a deployment; the defaults are Azure ML's (1 request per replica, 500 ms wait, 60 s scoring).
    public init(
      name: String, upstreams: [String], replicas: Int? = nil, replicaMaxConcurrentRequests: Int = 1,
      maxRequestWaitTimeMs: Int = 500, scoringTimeoutMs: Int = 60000, collectModelData: Bool = false
    ) {
      self.name = name
      self.upstreams = upstreams
      self.replicas = replicas
      self.replicaMaxConcurrentRequests = replicaMaxConcurrentRequests
      self.maxRequestWaitTimeMs = maxRequestWaitTimeMs
      self.scoringTimeoutMs = scoringTimeoutMs
      self.collectModelData = collectModelData
    }

    /// Requests scored at once across all replicas.
    public var concurrency: Int { replicaMaxConcurrentRequests * (replicas ?? max(1, upstreams.count)) }

    enum CodingKeys: String, CodingKey {
      case name, upstreams, replicas
      case replicaMaxConcurrentRequests = "replica_max_concurrent_requests"
      case maxRequestWaitTimeMs = "max_request_wait_time_ms"
      case scoringTimeoutMs = "scoring_timeout_ms"
      case collectModelData = "collect_model_data"
    }

    public init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: CodingKeys.self)
      self.init(
        name: try container.decode(String.self, forKey: .name),
        upstreams: try container.decode([String].self, forKey: .upstreams),
        replicas: try container.decodeIfPresent(Int.self, forKey: .replicas),
        replicaMaxConcurrentRequests: try container.decodeIfPresent(Int.self, forKey: .replicaMaxConcurrentRequests) ?? 1,
        maxRequestWaitTimeMs: try container.decodeIfPresent(Int.self, forKey: .maxRequestWaitTimeMs) ?? 500,
        scoringTimeoutMs: try container.decodeIfPresent(Int.self, forKey: .scoringTimeoutMs) ?? 60000,
        collectModelData: try container.decodeIfPresent(Bool.self, forKey: .collectModelData) ?? false)
    }
  }

  /// Creates a configuration; only the endpoint, deployments and traffic have no default.
  public init(
    endpoint: String, listenAddress: String = "127.0.0.1", port: Int, authMode: AuthMode = .key,
    keysFile: String? = nil, tokenSigningKeyFile: String? = nil, deployments: [Deployment],
    traffic: [String: Int], mirrorTraffic: [String: Int] = [:], modelDataFolder: String? = nil,
    modelDataMaxBytes: Int = 10 << 20, reloadIntervalMs: Int = 500, listeningFile: String? = nil,
    keysEnv: String? = nil, tokenSigningKeyEnv: String? = nil
  ) {
    self.keysEnv = keysEnv
    self.tokenSigningKeyEnv = tokenSigningKeyEnv
    self.endpoint = endpoint
    self.listenAddress = listenAddress
    self.port = port
    self.authMode = authMode
    self.keysFile = keysFile
    self.tokenSigningKeyFile = tokenSigningKeyFile
    self.deployments = deployments
    self.traffic = traffic
    self.mirrorTraffic = mirrorTraffic
    self.modelDataFolder = modelDataFolder
    self.modelDataMaxBytes = modelDataMaxBytes
    self.reloadIntervalMs = reloadIntervalMs
    self.listeningFile = listeningFile
  }

  enum CodingKeys: String, CodingKey {
    case endpoint, port, deployments, traffic
    case listenAddress = "listen_address"
    case authMode = "auth_mode"
    case keysFile = "keys_file"
    case tokenSigningKeyFile = "token_signing_key_file"
    case mirrorTraffic = "mirror_traffic"
    case modelDataFolder = "model_data_folder"
    case modelDataMaxBytes = "model_data_max_bytes"
    case reloadIntervalMs = "reload_interval_ms"
    case listeningFile = "listening_file"
    case keysEnv = "keys_env"
    case tokenSigningKeyEnv = "token_signing_key_env"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      endpoint: try container.decode(String.self, forKey: .endpoint),
      listenAddress: try container.decodeIfPresent(String.self, forKey: .listenAddress) ?? "127.0.0.1",
      port: try container.decode(Int.self, forKey: .port),
      authMode: try container.decodeIfPresent(AuthMode.self, forKey: .authMode) ?? .key,
      keysFile: try container.decodeIfPresent(String.self, forKey: .keysFile),
      tokenSigningKeyFile: try container.decodeIfPresent(String.self, forKey: .tokenSigningKeyFile),
      deployments: try container.decode([Deployment].self, forKey: .deployments),
      traffic: try container.decodeIfPresent([String: Int].self, forKey: .traffic) ?? [:],
      mirrorTraffic: try container.decodeIfPresent([String: Int].self, forKey: .mirrorTraffic) ?? [:],
      modelDataFolder: try container.decodeIfPresent(String.self, forKey: .modelDataFolder),
      modelDataMaxBytes: try container.decodeIfPresent(Int.self, forKey: .modelDataMaxBytes) ?? 10 << 20,
      reloadIntervalMs: try container.decodeIfPresent(Int.self, forKey: .reloadIntervalMs) ?? 500,
      listeningFile: try container.decodeIfPresent(String.self, forKey: .listeningFile),
      keysEnv: try container.decodeIfPresent(String.self, forKey: .keysEnv),
      tokenSigningKeyEnv: try container.decodeIfPresent(String.self, forKey: .tokenSigningKeyEnv))
  }

  /// The deployment named `name`.
  public func deployment(named name: String) -> Deployment? { deployments.first { $0.name == name } }
}

/// Who may call `/score` and `/swagger.json`.
public enum AuthMode: String, Codable, Sendable, Hashable {
  /// `Authorization: Bearer KEY`, the primary or the secondary key.
  case key
  /// `Authorization: Bearer TOKEN`, a short-lived token signed with the endpoint's signing key.
  case amlToken = "aml_token"
  /// Anyone who reaches the port.
  case none
}
