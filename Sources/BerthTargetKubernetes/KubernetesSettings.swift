import BerthModel

/// A service's deployment settings as the Kubernetes target reads them, with the AKS defaults filled in.
///
/// Defaults follow `AksWebservice.deploy_configuration`: autoscaling on unless `num_replicas` is set
/// (1–10 replicas, 70 % CPU), 0.1 cores, 0.5 GiB, liveness probe after 310 s every 10 s with a 2 s
/// timeout and 3 failures, scoring timeout 60 000 ms.
public struct KubernetesSettings: Hashable, Sendable {
  /// The port of the Kubernetes Service (default 80); pods listen on `containerPort`.
  public var servicePort: Int
  public var workerCount: Int
  public var scoringTimeoutMs: Int
  public var cpuCores: Double
  public var memoryGB: Double
  public var gpuCores: Int
  /// Fixed replicas, or nil when a HorizontalPodAutoscaler owns the count.
  public var replicas: Int?
  public var autoscaleMin: Int
  public var autoscaleMax: Int
  public var autoscaleTargetUtilization: Int
  public var probe: Probe
  /// Seconds apply waits for the rollout; also the Deployment's progress deadline.
  public var waitTimeoutSeconds: Int
  public var environmentVariables: [String: String]

  /// `liveness_probe` settings, also used (without the initial delay) for readiness.
  public struct Probe: Hashable, Sendable {
    public var initialDelaySeconds: Int
    public var periodSeconds: Int
    public var timeoutSeconds: Int
    public var successThreshold: Int
    public var failureThreshold: Int
  }

  /// The port `azmlinfsrv` listens on inside the image (its default).
  public static let containerPort = 5001
  public static let defaultServicePort = 80
  public static let defaultScoringTimeoutMs = 60_000
  public static let defaultWaitTimeoutSeconds = 120

  public var isAutoscaled: Bool { replicas == nil }
  /// `replica_max_concurrent_requests`, enforced by the endpoint's gateway; unset, no limit of the gateway's own
  /// (as on local: requests wait in the scoring servers' backlog).
  public var replicaMaxConcurrentRequests: Int
  /// `max_request_wait_time` in milliseconds (default 500), enforced by the endpoint's gateway.
  public var maxRequestWaitTimeMs: Int

  public init(_ settings: [String: FieldValue]) {
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
    servicePort = int("port") ?? Self.defaultServicePort
    workerCount = max(1, int("worker_count") ?? 1)
    scoringTimeoutMs = int("scoring_timeout_ms") ?? Self.defaultScoringTimeoutMs
    cpuCores = double("cpu_cores") ?? 0.1
    memoryGB = double("memory_gb") ?? 0.5
    gpuCores = int("gpu_cores") ?? 0
    let autoscale: Bool
    if case .bool(let enabled)? = settings["autoscale_enabled"] {
      autoscale = enabled
    } else {
      autoscale = settings["num_replicas"] == nil
    }
    replicas = autoscale ? nil : (int("num_replicas") ?? 1)
    autoscaleMin = int("autoscale_min_replicas") ?? 1
    autoscaleMax = max(int("autoscale_max_replicas") ?? 10, autoscaleMin)
    autoscaleTargetUtilization = int("autoscale_target_utilization") ?? 70
    probe = Probe(
      initialDelaySeconds: int("liveness_probe.initial_delay_seconds") ?? 310,
      periodSeconds: int("liveness_probe.period_seconds") ?? 10,
      timeoutSeconds: int("liveness_probe.timeout_seconds") ?? 2,
      successThreshold: int("liveness_probe.success_threshold") ?? 1,
      failureThreshold: int("liveness_probe.failure_threshold") ?? 3)
    waitTimeoutSeconds = int("wait_timeout") ?? Self.defaultWaitTimeoutSeconds
    replicaMaxConcurrentRequests = max(1, int("replica_max_concurrent_requests") ?? 1024)
    maxRequestWaitTimeMs = max(0, int("max_request_wait_time") ?? 500)
    var variables: [String: String] = [:]
    let prefix = "environment_variables."
    for (key, value) in settings where key.hasPrefix(prefix) {
      if case .string(let text) = value { variables[String(key.dropFirst(prefix.count))] = text }
    }
    environmentVariables = variables
  }

  /// `500m`, `2`: CPU as a Kubernetes quantity.
  public var cpuQuantity: String {
    let millicores = max(1, Int((cpuCores * 1000).rounded()))
    return millicores % 1000 == 0 ? String(millicores / 1000) : "\(millicores)m"
  }

  /// `512Mi`, `1Gi`: memory (GiB in the manifest) as a Kubernetes quantity.
  public var memoryQuantity: String {
    let mebibytes = max(1, Int((memoryGB * 1024).rounded()))
    return mebibytes % 1024 == 0 ? "\(mebibytes / 1024)Gi" : "\(mebibytes)Mi"
  }
}
