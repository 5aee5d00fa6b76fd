import BerthGateway
import BerthModel

/// The deployment settings the local target uses, read from a service's `deployment` block.
struct LocalDeploymentSettings: Sendable, Hashable {
  /// `port`: the public port; `nil` keeps the one chosen at first deploy.
  var port: Int?
  /// `worker_count` (default 1).
  var workerCount: Int
  /// `wait_timeout` seconds (default 120).
  var waitTimeout: Duration
  /// `scoring_timeout_ms`, if set.
  var scoringTimeoutMs: Int?
  /// `auth_enabled` / `token_auth_enabled` as the service's own gateway enforces them (tokens win when both are set).
  var authMode: AuthMode
  /// `replica_max_concurrent_requests`, enforced by the gateway when set (one local revision is one replica).
  /// Unset, the gateway imposes no limit of its own (`unlimitedConcurrency`): requests wait in the scoring
  /// server's backlog, as they did before the gateway, instead of drawing Azure ML's 429 at 2 × 1 requests.
  var replicaMaxConcurrentRequests: Int

  /// The concurrency the gateway admits when `replica_max_concurrent_requests` is not set.
  static let unlimitedConcurrency = 1024
  /// `max_request_wait_time` in milliseconds (default 500).
  var maxRequestWaitTimeMs: Int
  /// `collect_model_data`.
  var collectModelData: Bool

  /// Where a service's own gateway listens: every interface, as the port proxy and azmlinfsrv always did (an
  /// Endpoint's `listen_address` defaults to loopback instead).
  static let serviceListenAddress = "0.0.0.0"

  init(_ settings: [String: FieldValue]) {
    func int(_ key: String) -> Int? {
      switch settings[key] {
      case .int(let value)?: value
      case .double(let value)? where value == value.rounded(): Int(value)
      case .string(let text)?: Int(text)
      default: nil
      }
    }
    port = int("port")
    workerCount = max(1, int("worker_count") ?? 1)
    waitTimeout = .seconds(max(1, int("wait_timeout") ?? 120))
    scoringTimeoutMs = int("scoring_timeout_ms")
    func bool(_ key: String) -> Bool {
      if case .bool(let value)? = settings[key] { return value }
      return false
    }
    authMode = bool("token_auth_enabled") ? .amlToken : bool("auth_enabled") ? .key : .none
    replicaMaxConcurrentRequests = max(1, int("replica_max_concurrent_requests") ?? Self.unlimitedConcurrency)
    maxRequestWaitTimeMs = max(0, int("max_request_wait_time") ?? 500)
    collectModelData = bool("collect_model_data")
  }

  /// The gateway's entry for this service's revision listening on `upstream`.
  func gatewayDeployment(name: String, upstream: String) -> GatewayConfiguration.Deployment {
    GatewayConfiguration.Deployment(
      name: name, upstreams: [upstream], replicas: 1, replicaMaxConcurrentRequests: replicaMaxConcurrentRequests,
      maxRequestWaitTimeMs: maxRequestWaitTimeMs, scoringTimeoutMs: scoringTimeoutMs ?? 60000,
      collectModelData: collectModelData)
  }
}

extension Attributes {
  /// The integer at `key`, if any.
  func int(_ key: String) -> Int? {
    if case .int(let value)? = self[key] { return value }
    return nil
  }

  /// The string at `key`, if any.
  func string(_ key: String) -> String? {
    if case .string(let value)? = self[key] { return value }
    return nil
  }
}
