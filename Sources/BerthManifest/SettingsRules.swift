import BerthModel

/// Contradictions inside one resource's settings, caught before anything is built.
///
/// Rules that need another resource (the compute target's type) live in `BerthGraph`.
public enum SettingsRules {
  /// The worker count a service gets when its deployment does not set one.
  public static let defaultWorkerCount = 1

  public static func check(_ resource: Resource) -> [Diagnostic] {
    if case .computeTarget(let spec) = resource.spec { return checkComputeTarget(resource, spec) }
    if case .endpoint(let spec) = resource.spec { return checkEndpoint(resource, spec) }
    guard case .service(let spec) = resource.spec else { return [] }
    var diagnostics: [Diagnostic] = []
    func at(_ field: String) -> SourceLocation { resource.location(of: "deployment.\(field)") }

    if spec.models.isEmpty {
      diagnostics.append(.error("'models' must name at least one model", at: resource.location(of: "models")))
    }
    var seenModels: Set<String> = []
    for (index, reference) in spec.models.enumerated() where !seenModels.insert(reference.name).inserted {
      diagnostics.append(
        .error(
          "model '\(reference.name)' is listed twice", at: resource.location(of: "models[\(index)]"),
          hint: "a service loads one version of each model"))
    }
    if let endpoint = spec.endpoint, spec.deployment["port"] != nil {
      diagnostics.append(
        .error(
          "service '\(resource.address.name)' is behind endpoint '\(endpoint)' and has no port of its own",
          at: at("port"),
          hint: "callers use the endpoint's address; remove 'port' here (an Endpoint on a local target sets its own 'port')"
        ))
    }
    if spec.bool("autoscale_enabled") == true, spec.deployment["num_replicas"] != nil {
      diagnostics.append(
        .error(
          "'num_replicas' contradicts 'autoscale_enabled: true'", at: at("num_replicas"),
          hint: "remove num_replicas, or set autoscale_enabled: false for a fixed replica count"))
    }
    if spec.bool("autoscale_enabled") != true {
      for field in [
        "autoscale_min_replicas", "autoscale_max_replicas", "autoscale_refresh_seconds", "autoscale_target_utilization",
      ]
      where spec.deployment[field] != nil {
        diagnostics.append(
          .warning("'\(field)' has no effect without 'autoscale_enabled: true'", at: at(field)))
      }
    }
    if let minimum = spec.int("autoscale_min_replicas"), let maximum = spec.int("autoscale_max_replicas"), minimum > maximum {
      diagnostics.append(
        .error(
          "'autoscale_min_replicas' (\(minimum)) is greater than 'autoscale_max_replicas' (\(maximum))",
          at: at("autoscale_min_replicas")))
    }
    if let concurrent = spec.int("replica_max_concurrent_requests") {
      let workers = spec.int("worker_count") ?? defaultWorkerCount
      if concurrent > workers {
        diagnostics.append(
          .error(
            "'replica_max_concurrent_requests' (\(concurrent)) exceeds 'worker_count' (\(workers))",
            at: at("replica_max_concurrent_requests"),
            hint:
              "each worker scores one request at a time; raise worker_count to \(concurrent) or lower replica_max_concurrent_requests"
          ))
      }
    }
    if let timeout = spec.int("scoring_timeout_ms"), let wait = spec.int("max_request_wait_time"), wait > timeout {
      diagnostics.append(
        .warning(
          "'max_request_wait_time' (\(wait) ms) is longer than 'scoring_timeout_ms' (\(timeout) ms)",
          at: at("max_request_wait_time"), hint: "queued requests would time out before they are scored"))
    }
    return diagnostics
  }

  /// Connection settings of a compute target: which apply to its type, and which exclude each other.
  static func checkComputeTarget(_ resource: Resource, _ spec: ComputeTargetSpec) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    let kubernetesFields = [
      "namespace", "kubeconfig", "context", "api_server", "token_env", "ca_file", "exposure", "gateway_image",
      "gateway_base_image", "cluster_resource_id", "cluster_name", "agent_count", "cluster_purpose", "kubernetes_version",
    ]
    if spec.type != .aci, spec.settings["auth_secret_env"] != nil {
      diagnostics.append(
        .error(
          "'auth_secret_env' does not apply to a compute target of type \(spec.type.rawValue)",
          at: resource.location(of: "auth_secret_env"), hint: "it applies to: aci"))
    }
    // A batch target names the cluster its jobs run on (as an Indexed Job) the way a kubernetes target does.
    let batchClusterFields = ["namespace", "kubeconfig", "context", "api_server", "token_env", "ca_file"]
    guard spec.type == .kubernetes else {
      for field in kubernetesFields where spec.settings[field] != nil {
        if spec.type == .batch, batchClusterFields.contains(field) { continue }
        diagnostics.append(
          .error(
            "'\(field)' does not apply to a compute target of type \(spec.type.rawValue)", at: resource.location(of: field),
            hint: spec.type == .batch && !batchClusterFields.contains(field)
              ? "it applies to: kubernetes (aks); a batch target takes only \(batchClusterFields.joined(separator: ", "))"
              : "it applies to: kubernetes (aks)\(batchClusterFields.contains(field) ? ", batch" : "")"))
      }
      if spec.type == .batch { diagnostics += checkConnection(resource, spec) }
      return diagnostics
    }
    if spec.settings["cluster_resource_id"] != nil || spec.settings["resource_group"] != nil {
      return diagnostics + checkManagedCluster(resource, spec)
    }
    for field in [
      "subscription_id", "location", "resource_manager", "vm_size", "cluster_name", "agent_count", "cluster_purpose",
      "kubernetes_version",
    ]
    where spec.settings[field] != nil {
      diagnostics.append(
        .error(
          "'\(field)' applies only to an AKS cluster Berth creates", at: resource.location(of: field),
          hint: "add subscription_id, resource_group and location to create one, or remove '\(field)'"))
    }
    return diagnostics + checkConnection(resource, spec)
  }

  /// A cluster reached through a kubeconfig (kubeconfig, context) or directly (api_server, token_env, ca_file).
  static func checkConnection(_ resource: Resource, _ spec: ComputeTargetSpec) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    if spec.settings["api_server"] != nil {
      for field in ["kubeconfig", "context"] where spec.settings[field] != nil {
        diagnostics.append(
          .error(
            "'\(field)' and 'api_server' are alternatives", at: resource.location(of: field),
            hint: "connect either through a kubeconfig (kubeconfig, context) or directly (api_server, token_env, ca_file)"))
      }
      if spec.settings["token_env"] == nil {
        diagnostics.append(
          .error(
            "'api_server' needs 'token_env', the environment variable holding the API token",
            at: resource.location(of: "api_server")))
      }
      if let server = spec.string("api_server"), !server.hasPrefix("https://"), !server.hasPrefix("http://") {
        diagnostics.append(
          .error(
            "'api_server' must be a URL starting with https:// (got '\(server)')", at: resource.location(of: "api_server"),
            hint: "e.g. https://my-aks-dns-1a2b3c.hcp.westeurope.azmk8s.io:443"))
      }
    } else {
      for field in ["token_env", "ca_file"] where spec.settings[field] != nil {
        diagnostics.append(
          .error(
            "'\(field)' applies only with 'api_server'", at: resource.location(of: field),
            hint: "a kubeconfig carries its own credentials and CA"))
      }
    }
    return diagnostics
  }

  /// An AKS cluster reached through Azure Resource Manager: attached by id, or created from its fields.
  static func checkManagedCluster(_ resource: Resource, _ spec: ComputeTargetSpec) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    let connectionFields = ["kubeconfig", "context", "api_server", "token_env", "ca_file"]
    let creating = [
      "subscription_id", "resource_group", "location", "cluster_name", "vm_size", "agent_count", "cluster_purpose",
      "kubernetes_version",
    ]
    let attaching = spec.settings["cluster_resource_id"] != nil
    for field in connectionFields where spec.settings[field] != nil {
      diagnostics.append(
        .error(
          "'\(field)' and \(attaching ? "'cluster_resource_id'" : "'resource_group'") are alternatives",
          at: resource.location(of: field),
          hint: "Berth fetches an AKS cluster's credentials through Azure Resource Manager; no kubeconfig is needed"))
    }
    if attaching {
      for field in creating where spec.settings[field] != nil {
        diagnostics.append(
          .error(
            "'\(field)' describes a cluster Berth creates; 'cluster_resource_id' attaches an existing one",
            at: resource.location(of: field), hint: "keep one of the two"))
      }
      return diagnostics
    }
    for field in ["subscription_id", "location"] where spec.settings[field] == nil {
      diagnostics.append(
        .error(
          "an AKS cluster Berth creates needs '\(field)'", at: resource.location(of: "resource_group"),
          hint: "or attach an existing cluster with cluster_resource_id"))
    }
    let purpose = spec.string("cluster_purpose") ?? "FastProd"
    if purpose == "FastProd", case .int(let count)? = spec.settings["agent_count"], count < 3 {
      diagnostics.append(
        .error(
          "cluster_purpose FastProd needs agent_count of at least 3 (got \(count))",
          at: resource.location(of: "agent_count"), hint: "raise agent_count, or set cluster_purpose: DevTest"))
    }
    return diagnostics
  }
}
