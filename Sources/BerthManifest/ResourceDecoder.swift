import BerthModel

/// Turns a schema-valid document into a typed `Resource`.
///
/// Only called after `SchemaValidator` found no errors in the document, so shapes are trusted here.
struct ResourceDecoder {
  let node: ManifestNode
  let baseDirectory: String

  func decode(kind: ResourceKind) -> Resource {
    let metadata = node["metadata"]!
    let spec = node["spec"]!
    let lifecycleNode = node["lifecycle"]
    var locations: [String: SourceLocation] = [:]
    collectLocations(spec, prefix: "", into: &locations)
    if let nameNode = metadata["name"] { locations["metadata.name"] = nameNode.location }
    if let previousNode = metadata["previous_names"] { locations["metadata.previous_names"] = previousNode.location }
    if let dependsOn = metadata["depends_on"], case .sequence(let items) = dependsOn.content {
      for (index, item) in items.enumerated() { locations["metadata.depends_on[\(index)]"] = item.location }
    }
    if let lifecycleNode { collectLocations(lifecycleNode, prefix: "lifecycle.", into: &locations) }
    // A traffic entry names a service: point at the name, not at the percentage.
    for field in ["traffic", "mirror_traffic"] {
      if let mapNode = spec[field], case .mapping(let entries) = mapNode.content {
        for entry in entries { locations["\(field).\(entry.key)"] = entry.keyLocation }
      }
    }

    return Resource(
      address: ResourceAddress(kind, metadata["name"]!.stringValue!),
      labels: stringMap(metadata["labels"]),
      dependsOn: strings(metadata["depends_on"]).compactMap(ResourceAddress.init(parsing:)),
      previousNames: strings(metadata["previous_names"]),
      lifecycle: Lifecycle(
        preventDestroy: bool(lifecycleNode?["prevent_destroy"]) ?? false,
        ignoreChanges: strings(lifecycleNode?["ignore_changes"])),
      spec: decodeSpec(kind: kind, spec),
      location: node["kind"]?.location ?? node.location,
      fieldLocations: locations,
      baseDirectory: baseDirectory)
  }

  private func decodeSpec(kind: ResourceKind, _ spec: ManifestNode) -> ResourceSpec {
    switch kind {
    case .workspace:
      let defaults = WorkspaceSpec()
      return .workspace(
        WorkspaceSpec(
          state: spec["state"]?.stringValue ?? defaults.state,
          modelStore: spec["model_store"]?.stringValue ?? defaults.modelStore,
          environmentCache: spec["environment_cache"]?.stringValue ?? defaults.environmentCache,
          registry: registry(spec["registry"])))
    case .model:
      return .model(
        ModelSpec(
          path: Self.withoutTrailingSlashes(spec["path"]!.stringValue!), description: spec["description"]?.stringValue,
          tags: stringMap(spec["tags"]), properties: stringMap(spec["properties"])))
    case .environment:
      return .environment(
        EnvironmentSpec(
          condaFile: spec["conda_file"]!.stringValue!,
          environmentVariables: stringMap(spec["environment_variables"]),
          description: spec["description"]?.stringValue,
          resolution: EnvironmentResolution(
            rule: spec["resolution"]?.stringValue.flatMap(EnvironmentResolution.Rule.init(rawValue:)) ?? .era,
            pipConstraints: strings(spec["pip_constraints"]),
            solver: spec["solver"]?.stringValue.flatMap(EnvironmentResolution.Solver.init(rawValue:)) ?? .uv)))
    case .inferenceConfig:
      return .inferenceConfig(
        InferenceConfigSpec(
          sourceDirectory: spec["source_directory"]!.stringValue!,
          entryScript: spec["entry_script"]!.stringValue!,
          runtime: spec["runtime"]?.stringValue ?? "python",
          environment: spec["environment"]!.stringValue!,
          baseImage: spec["base_image"]?.stringValue,
          baseImageRegistry: registry(spec["base_image_registry"]),
          description: spec["description"]?.stringValue))
    case .computeTarget:
      var settings = flatten(spec)
      settings["type"] = nil
      return .computeTarget(
        ComputeTargetSpec(type: ComputeType(manifestValue: spec["type"]!.stringValue!)!, settings: settings))
    case .endpoint:
      return .endpoint(
        EndpointSpec(
          computeTarget: spec["compute_target"]!.stringValue!,
          authMode: spec["auth_mode"]?.stringValue.flatMap(EndpointAuthMode.init(rawValue:)) ?? .key,
          traffic: intMap(spec["traffic"]), mirrorTraffic: intMap(spec["mirror_traffic"]),
          port: int(spec["port"]), listenAddress: spec["listen_address"]?.stringValue,
          description: spec["description"]?.stringValue,
          cluster: ClusterEndpointSettings(
            exposure: spec["exposure"]?.stringValue.flatMap(EndpointExposure.init(rawValue:)),
            ingressClass: spec["ingress_class"]?.stringValue, host: spec["host"]?.stringValue,
            tlsSecret: spec["tls_secret"]?.stringValue, tlsCertEnv: spec["tls_cert_env"]?.stringValue,
            tlsKeyEnv: spec["tls_key_env"]?.stringValue, gatewayImage: spec["gateway_image"]?.stringValue,
            gatewayReplicas: int(spec["gateway_replicas"]))))
    case .service:
      return .service(
        ServiceSpec(
          computeTarget: spec["compute_target"]!.stringValue!,
          models: strings(spec["models"]).compactMap(ModelReference.init(parsing:)),
          inferenceConfig: spec["inference_config"]!.stringValue!,
          endpoint: spec["endpoint"]?.stringValue,
          deployment: spec["deployment"].map(flatten) ?? [:]))
    }
  }

  private func registry(_ node: ManifestNode?) -> RegistryReference? {
    guard let node, let address = node["address"]?.stringValue else { return nil }
    return RegistryReference(
      address: address, usernameEnv: node["username_env"]?.stringValue,
      passwordEnv: node["password_env"]?.stringValue, insecure: bool(node["insecure"]) ?? false,
      azureAD: bool(node["azure_ad"]))
  }

  private func strings(_ node: ManifestNode?) -> [String] {
    guard let node, case .sequence(let items) = node.content else { return [] }
    return items.compactMap(\.stringValue)
  }

  private func stringMap(_ node: ManifestNode?) -> [String: String] {
    guard let node, case .mapping(let entries) = node.content else { return [:] }
    var map: [String: String] = [:]
    for entry in entries { map[entry.key] = entry.value.stringValue }
    return map
  }

  private func intMap(_ node: ManifestNode?) -> [String: Int] {
    guard let node, case .mapping(let entries) = node.content else { return [:] }
    var map: [String: Int] = [:]
    for entry in entries { map[entry.key] = int(entry.value) }
    return map
  }

  private func int(_ node: ManifestNode?) -> Int? {
    if let node, case .scalar(.int(let i), _) = node.content { return i }
    return nil
  }

  private func bool(_ node: ManifestNode?) -> Bool? {
    if let node, case .scalar(.bool(let b), _) = node.content { return b }
    return nil
  }

  /// Nested mappings become dotted keys: `liveness_probe.period_seconds`.
  private func flatten(_ node: ManifestNode) -> [String: FieldValue] {
    var result: [String: FieldValue] = [:]
    func walk(_ node: ManifestNode, _ prefix: String) {
      switch node.content {
      case .mapping(let entries):
        for entry in entries { walk(entry.value, prefix.isEmpty ? entry.key : "\(prefix).\(entry.key)") }
      case .sequence(let items):
        result[prefix] = .list(items.compactMap(Self.fieldValue))
      case .scalar:
        if let value = Self.fieldValue(node) { result[prefix] = value }
      }
    }
    walk(node, "")
    return result
  }

  static func fieldValue(_ node: ManifestNode) -> FieldValue? {
    switch node.content {
    case .scalar(.string(let s), _): .string(s)
    case .scalar(.int(let i), _): .int(i)
    case .scalar(.double(let d), _): .double(d)
    case .scalar(.bool(let b), _): .bool(b)
    case .scalar(.null, _): nil
    case .sequence(let items): .list(items.compactMap(fieldValue))
    case .mapping: nil
    }
  }

  private func collectLocations(_ node: ManifestNode, prefix: String, into locations: inout [String: SourceLocation]) {
    switch node.content {
    case .mapping(let entries):
      for entry in entries {
        let path = prefix + entry.key
        locations[path] = entry.value.location
        collectLocations(entry.value, prefix: path + ".", into: &locations)
      }
    case .sequence(let items):
      let base = String(prefix.dropLast())
      for (index, item) in items.enumerated() { locations["\(base)[\(index)]"] = item.location }
    case .scalar:
      break
    }
  }

  /// `model/` → `model`: Azure ML users write folders with a slash, and the copy of a folder must hash like its source.
  static func withoutTrailingSlashes(_ path: String) -> String {
    var trimmed = Substring(path)
    while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    return String(trimmed)
  }
}
