import BerthModel

/// What this build of Berth honours on each compute target type: the one table that says which deployment
/// settings a target's provider reads and enforces, and where endpoints are served.
///
/// A setting that applies to a type (`ManifestSchema.deploymentFieldTargets`) but is not honoured is accepted
/// and draws a validation warning; when a target starts honouring it (the gateway: keys, tokens, limits, data
/// collection), adding it here removes the warning. Every compute type has a provider in this build; a type
/// without one would be absent: planning for it fails (`TargetChecks`), so its settings would not be judged.
public enum TargetSupport {
  /// Deployment settings (top-level names) each provider honours today.
  public static let honouredSettings: [ComputeType: Set<String>] = [
    // LocalDeploymentSettings and ServiceResolver read these; the gateway enforces auth, limits and data collection.
    .local: [
      "port", "worker_count", "wait_timeout", "scoring_timeout_ms", "environment_variables", "auth_enabled",
      "token_auth_enabled", "replica_max_concurrent_requests", "max_request_wait_time", "collect_model_data",
    ],
    // BatchSettings (BerthTargetBatch) reads these; node_count only as 1 (see `ignoredSettings`).
    .batch: [
      "mini_batch_size", "process_count_per_node", "error_threshold", "output_action", "input_path", "output_path",
      "incremental", "run_invocation_timeout", "retries", "environment_variables",
    ],
    // IoTEdgeSettings (BerthTargetIoTEdge) reads these: the module's createOptions, environment, routes and the wait.
    .iotedge: [
      "device_id", "port", "cpu_cores", "memory_gb", "environment_variables", "routes", "wait_timeout", "worker_count",
      "scoring_timeout_ms",
    ],
    // KubernetesSettings reads these.
    .kubernetes: [
      "port", "worker_count", "wait_timeout", "scoring_timeout_ms", "environment_variables", "cpu_cores", "memory_gb",
      "gpu_cores", "num_replicas", "autoscale_enabled", "autoscale_min_replicas", "autoscale_max_replicas",
      "autoscale_target_utilization", "liveness_probe", "auth_enabled", "token_auth_enabled",
    ],
    // ACIServiceSettings (BerthTargetACI) reads these; with auth a gateway container enforces the request limits too.
    // (Token auth is AKS-only in Azure ML; the schema does not offer it on aci.)
    .aci: [
      "port", "worker_count", "wait_timeout", "scoring_timeout_ms", "environment_variables", "cpu_cores", "memory_gb",
      "gpu_cores", "dns_name_label", "location", "auth_enabled",
    ],
  ]

  /// Settings of a kubernetes service that its endpoint's gateway enforces (not honoured without an endpoint).
  public static let endpointMemberSettings: Set<String> = ["replica_max_concurrent_requests", "max_request_wait_time"]

  /// Compute target types on which a gateway serves `Endpoint`s. Elsewhere an endpoint would route nothing and
  /// enforce no `auth_mode`, so planning one there is an error (see `TargetChecks`).
  public static let endpointTypes: Set<ComputeType> = [.local, .kubernetes]

  /// Switches whose `false` asks for nothing a target must do: only `true` is "not honoured".
  static let switches: Set<String> = ["auth_enabled", "token_auth_enabled", "collect_model_data", "autoscale_enabled"]

  /// What happens instead, for the warning.
  static let consequences: [String: String] = [
    "auth_enabled": "no gateway checks keys there yet, so /score answers without one",
    "token_auth_enabled": "no gateway checks tokens there yet, so /score answers without one",
    "collect_model_data": "nothing records model inputs and outputs there yet",
    "replica_max_concurrent_requests": "requests are not limited per replica there yet",
    "max_request_wait_time": "requests do not queue with a deadline there yet",
    "autoscale_refresh_seconds": "the HorizontalPodAutoscaler decides at the cluster's own interval",
  ]

  /// What happens instead on a batch target, whose services are jobs rather than web services.
  static let batchConsequences: [String: String] = [
    "node_count": "a batch target without a cluster runs jobs on this machine, one node",
    "worker_count": "a batch job's workers are process_count_per_node",
    "wait_timeout": "a batch job runs until it finishes; run_invocation_timeout bounds each call",
    "scoring_timeout_ms": "a batch job's calls are bounded by run_invocation_timeout",
  ]

  /// Whether key auth is on when a service does not set `auth_enabled` (the seed's defaults: AKS on, local off).
  public static func keyAuthDefault(on type: ComputeType) -> Bool { type == .kubernetes }

  /// The top-level deployment settings of `spec` that apply to `type` but that the type's provider ignores, sorted.
  /// `batchOnCluster`: a batch target that runs its jobs as Indexed Jobs on a cluster, where `node_count` is honoured.
  public static func ignoredSettings(_ spec: ServiceSpec, on type: ComputeType, batchOnCluster: Bool = false) -> [String] {
    guard var honoured = honouredSettings[type] else { return [] }
    // Behind an endpoint in a cluster, or behind its own gateway (auth on), a gateway enforces the request limits.
    let ownGateway = spec.bool("auth_enabled") == true || spec.bool("token_auth_enabled") == true
    if type == .kubernetes, spec.endpoint != nil || ownGateway { honoured.formUnion(endpointMemberSettings) }
    if type == .aci, ownGateway { honoured.formUnion(endpointMemberSettings) }
    var ignored: Set<String> = []
    for key in spec.deployment.keys {
      let field = String(key.split(separator: ".").first ?? "")
      if honoured.contains(field) { continue }
      if let applies = ManifestSchema.deploymentFieldTargets[field], !applies.contains(type) { continue }  // an error elsewhere
      if switches.contains(field), spec.bool(field) != true { continue }
      // This machine is the one node; on a cluster, the Job's parallelism is node_count × process_count_per_node.
      if type == .batch, field == "node_count", spec.int(field) == 1 || batchOnCluster { continue }
      ignored.insert(field)
    }
    return ignored.sorted()
  }

  /// The warning for a setting `ignoredSettings` returned.
  public static func ignoredSettingWarning(
    _ field: String, target: String, type: ComputeType, at location: SourceLocation?
  ) -> Diagnostic {
    let consequence = ((type == .batch ? batchConsequences[field] : nil) ?? consequences[field]).map { ": \($0)" } ?? ""
    let fix = switches.contains(field) ? "set it false or remove it" : "remove it"
    let list =
      type == .batch ? "docs/batch.md lists what the batch target honours" : "docs/endpoints.md lists what each target enforces"
    return .warning(
      "'\(field)' is accepted but not honoured on compute target '\(target)' of type \(type.rawValue)\(consequence)",
      at: location, hint: "\(fix) until the target honours it; \(list)")
  }
}
