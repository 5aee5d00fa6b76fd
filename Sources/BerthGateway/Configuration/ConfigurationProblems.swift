/// Every contradiction in a configuration, collected rather than stopping at the first.
extension GatewayConfiguration {
  /// The problems that make this configuration unservable, each naming its field; empty when it is valid.
  public var problems: [String] {
    var problems: [String] = []
    let names = deployments.map(\.name)
    if !(0...65535).contains(port) { problems.append("port: \(port) is not a TCP port") }
    if Set(names).count != names.count { problems.append("deployments: a name appears twice") }
    for (index, deployment) in deployments.enumerated() {
      let field = "deployments[\(index)] (\(deployment.name))"
      if deployment.upstreams.isEmpty { problems.append("\(field).upstreams: no scoring server") }
      for upstream in deployment.upstreams where UpstreamAddress(upstream) == nil {
        problems.append("\(field).upstreams: '\(upstream)' is not host:port")
      }
      if deployment.replicaMaxConcurrentRequests < 1 {
        problems.append("\(field).replica_max_concurrent_requests: must be at least 1")
      }
      if let replicas = deployment.replicas, replicas < 1 { problems.append("\(field).replicas: must be at least 1") }
      if deployment.maxRequestWaitTimeMs < 0 { problems.append("\(field).max_request_wait_time_ms: must not be negative") }
      if deployment.scoringTimeoutMs < 1 { problems.append("\(field).scoring_timeout_ms: must be at least 1") }
    }
    for name in traffic.keys.sorted() where !names.contains(name) {
      problems.append("traffic: unknown deployment '\(name)'")
    }
    if traffic.values.contains(where: { $0 < 0 }) { problems.append("traffic: percentages must not be negative") }
    let sum = traffic.values.reduce(0, +)
    if sum != 100 && sum != 0 { problems.append("traffic: percentages sum to \(sum), not 100 (or all 0)") }
    if mirrorTraffic.count > 1 { problems.append("mirror_traffic: at most one deployment") }
    for (name, percent) in mirrorTraffic.sorted(by: { $0.key < $1.key }) {
      if !names.contains(name) { problems.append("mirror_traffic: unknown deployment '\(name)'") }
      if !(0...50).contains(percent) { problems.append("mirror_traffic.\(name): \(percent) is not between 0 and 50") }
      if (traffic[name] ?? 0) > 0 { problems.append("mirror_traffic.\(name): the deployment takes live traffic") }
    }
    switch authMode {
    case .key where keysFile == nil && keysEnv == nil:
      problems.append("keys_file: required when auth_mode is 'key' (or keys_env)")
    case .amlToken where tokenSigningKeyFile == nil && tokenSigningKeyEnv == nil:
      problems.append("token_signing_key_file: required when auth_mode is 'aml_token' (or token_signing_key_env)")
    default: break
    }
    if deployments.contains(where: \.collectModelData) && modelDataFolder == nil {
      problems.append("model_data_folder: required when a deployment has collect_model_data")
    }
    if modelDataMaxBytes < 1024 { problems.append("model_data_max_bytes: must be at least 1024") }
    if reloadIntervalMs < 10 { problems.append("reload_interval_ms: must be at least 10") }
    return problems
  }
}
