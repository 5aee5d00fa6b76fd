import BerthGateway
import BerthModel
import BerthTargetAPI
import Foundation

/// Publishes, re-routes, observes and removes an endpoint's gateway in a cluster.
///
/// The route table is composed from two halves that change apart: the endpoint's definition (auth mode,
/// traffic), written by `publish` as an annotation of the routes ConfigMap, and one entry per member service,
/// written by that service's rollout as an annotation of its Kubernetes Service. `syncRoutes` joins them and
/// rewrites the ConfigMap only when the table changed, so moving traffic or adding a deployment touches the
/// ConfigMap alone; the gateway pods re-read the mounted file without a restart.
struct EndpointPublisher: Sendable {
  let provider: KubernetesTargetProvider
  let client: KubeClient
  let progress: @Sendable (String) -> Void

  var namespace: String { client.connection.namespace }

  func publish(_ endpoint: EndpointDeployment, previous: Attributes?) async throws -> ApplyResponse {
    let definition = EndpointRenderer.Definition(endpoint)
    guard !definition.gatewayImage.isEmpty else {
      throw TargetError(
        "endpoint '\(endpoint.name)' has no gateway image: set 'gateway_image' on it or on compute target '\(endpoint.computeTargetName)'"
      )
    }
    let fingerprint = try await ensureKeys(endpoint.name, mode: definition.authMode)
    if definition.tlsFromEnvironment, let certEnv = endpoint.spec.cluster.tlsCertEnv,
      let keyEnv = endpoint.spec.cluster.tlsKeyEnv
    {
      for variable in [certEnv, keyEnv] where (provider.environment[variable] ?? "").isEmpty {
        throw TargetError(
          "endpoint '\(endpoint.name)': the environment variable \(variable) (named by '\(variable == certEnv ? "tls_cert_env" : "tls_key_env")') is not set"
        )
      }
      try await client.apply(
        EndpointSecrets.tls(
          endpoint: endpoint.name, namespace: namespace, certificate: provider.environment[certEnv]!,
          privateKey: provider.environment[keyEnv]!), force: true)
      progress("TLS secret \(namespace)/\(EndpointRenderer.name(endpoint.name, "tls")) applied")
    }
    // The image Berth built carries its registry's credential variables: the gateway pods pull with them.
    var pullSecret: String?
    if let image = endpoint.gatewayImage,
      let secret = try PullSecret.object(for: image, namespace: namespace, environment: provider.environment)
    {
      try await client.apply(secret)
      pullSecret = secret["metadata"]?["name"]?.stringValue
    }
    let members = try await memberEntries(endpoint.name)
    let routes = EndpointRenderer.routes(definition, members: members)
    let objects = EndpointRenderer.render(definition, routes: routes, namespace: namespace, pullSecret: pullSecret)
    for object in objects {
      try await client.apply(object, force: true)
      progress("applied \(ObjectName(object).map(\.description) ?? "?")")
    }
    var recorded = objects.compactMap(ObjectName.init)
    recorded.append(ObjectName(kind: "Secret", name: EndpointRenderer.keysName(endpoint.name)))
    if definition.tlsFromEnvironment {
      recorded.append(ObjectName(kind: "Secret", name: EndpointRenderer.name(endpoint.name, "tls")))
    }
    let stale = Teardown.recordedObjects(previous ?? [:]).filter { !recorded.contains($0) }
    if !stale.isEmpty {
      try await Teardown(client: client, namespace: namespace, timings: provider.timings, progress: progress).delete(stale)
    }
    let waiting = definition.traffic.keys.filter { name in !members.contains { $0.name == name } }.sorted()
    if !waiting.isEmpty {
      progress("deployments not running yet: \(waiting.joined(separator: ", ")) (they join the routes when they deploy)")
    }
    let uri = try await scoringURI(definition)
    var outputs: Attributes = [
      "namespace": .string(namespace), "scoring_uri": .string(uri + "/score"),
      "swagger_uri": .string(uri + "/swagger.json"), "auth_mode": .string(definition.authMode.rawValue),
      "exposure": .string(definition.exposure.rawValue), "gateway_image": .string(definition.gatewayImage),
      "objects": .list(recorded.map { .string($0.description) }),
    ]
    if let fingerprint { outputs["key_fingerprint"] = .string(fingerprint) }
    for key in KubernetesTargetProvider.connectionKeys {
      if let value = endpoint.computeTarget.settings[key] { outputs["target.\(key)"] = value }
    }
    return ApplyResponse(
      outputs: outputs,
      message: "endpoint served by \(definition.replicas) gateway pods at \(uri)/score (auth \(definition.authMode.rawValue))")
  }

  /// Creates the keys Secret when it is missing or lacks what `mode` needs; never replaces keys that exist
  /// (`berth endpoints regenerate-keys` does). Returns their fingerprint.
  func ensureKeys(_ endpoint: String, mode: EndpointAuthMode) async throws -> String? {
    let existing = try await client.get(.secret, EndpointRenderer.keysName(endpoint), namespace: namespace)
    var keys = existing.flatMap(EndpointSecrets.readKeys)
    var signingKey = existing.flatMap(EndpointSecrets.readSigningKey)
    var changed = existing == nil
    if mode == .key, keys == nil {
      keys = EndpointKeys.generate()
      changed = true
    }
    if mode == .amlToken, signingKey == nil {
      signingKey = EndpointKeys.generateKey()
      changed = true
    }
    if changed {
      try await client.apply(
        EndpointSecrets.keys(endpoint: endpoint, namespace: namespace, keys: keys, signingKey: signingKey), force: true)
      progress("keys secret \(namespace)/\(EndpointRenderer.keysName(endpoint)) created")
    }
    switch mode {
    case .key: return keys.map(SecretFingerprint.of(keys:))
    case .amlToken: return signingKey.map(SecretFingerprint.of(signingKey:))
    case .none: return nil
    }
  }

  /// Replaces one of the keys (or the signing key) in the Secret; the gateway pods read it without a restart.
  /// Returns the new fingerprint.
  func regenerate(_ endpoint: String, keyType: String) async throws -> String {
    guard let existing = try await client.get(.secret, EndpointRenderer.keysName(endpoint), namespace: namespace) else {
      throw TargetError("endpoint '\(endpoint)' has no keys secret in \(namespace); apply it first")
    }
    var keys = EndpointSecrets.readKeys(existing)
    var signingKey = EndpointSecrets.readSigningKey(existing)
    switch keyType {
    case "primary": keys?.primaryKey = EndpointKeys.generateKey()
    case "secondary": keys?.secondaryKey = EndpointKeys.generateKey()
    default: signingKey = signingKey.map { _ in EndpointKeys.generateKey() }
    }
    try await client.apply(
      EndpointSecrets.keys(endpoint: endpoint, namespace: namespace, keys: keys, signingKey: signingKey), force: true)
    if keyType == "signing", let signingKey { return SecretFingerprint.of(signingKey: signingKey) }
    guard let keys else { throw TargetError("endpoint '\(endpoint)' does not use keys") }
    return SecretFingerprint.of(keys: keys)
  }

  /// The current keys or signing key of `endpoint`, read from its Secret (for `get-credentials`).
  func credentials(_ endpoint: String) async throws -> EndpointSecretMaterial {
    guard let secret = try await client.get(.secret, EndpointRenderer.keysName(endpoint), namespace: namespace) else {
      throw TargetError("endpoint '\(endpoint)' has no keys secret in \(namespace)")
    }
    let keys = EndpointSecrets.readKeys(secret)
    let signingKey = EndpointSecrets.readSigningKey(secret)
    return EndpointSecretMaterial(
      primaryKey: keys?.primaryKey, secondaryKey: keys?.secondaryKey, signingKey: signingKey,
      fingerprint: keys.map(SecretFingerprint.of(keys:)) ?? signingKey.map(SecretFingerprint.of(signingKey:)))
  }

  /// Rewrites the routes ConfigMap of `endpoint` from its definition and the member Services that exist now;
  /// nothing when the endpoint is not published or the table is unchanged.
  func syncRoutes(_ endpoint: String) async throws {
    guard
      let configMap = try await client.get(.configMap, EndpointRenderer.routesName(endpoint), namespace: namespace),
      let text = configMap["metadata"]?["annotations"]?[EndpointRenderer.definitionAnnotation]?.stringValue,
      let definition = try? JSONDecoder().decode(EndpointRenderer.Definition.self, from: Data(text.utf8))
    else { return }
    let routes = EndpointRenderer.routes(definition, members: try await memberEntries(endpoint))
    let rendered = [EndpointRenderer.routesConfigMap(definition, routes: routes, namespace: namespace)]
    guard let routesObject = rendered.first,
      routesObject["data"]?["gateway.json"] != configMap["data"]?["gateway.json"]
    else { return }
    try await client.apply(routesObject, force: true)
    progress("routes of endpoint '\(endpoint)' updated: \(routes.deployments.map(\.name).joined(separator: ", "))")
  }

  /// The gateway entries written on the endpoint's member Services.
  func memberEntries(_ endpoint: String) async throws -> [GatewayConfiguration.Deployment] {
    let selector = "\(EndpointRenderer.endpointLabel)=\(endpoint),\(KubernetesRenderer.managedSelector)"
    let services = try await client.listAll(.service, namespace: namespace, labelSelector: selector)
    return services.items.compactMap { service in
      guard service["metadata"]?["labels"]?[EndpointRenderer.componentLabel]?.stringValue == "scoring",
        let text = service["metadata"]?["annotations"]?[EndpointRenderer.gatewayDeploymentAnnotation]?.stringValue
      else { return nil }
      return try? JSONDecoder().decode(GatewayConfiguration.Deployment.self, from: Data(text.utf8))
    }
  }

  /// The base URL callers use: the Ingress host, the load balancer's address once it has one, or the cluster name.
  func scoringURI(_ definition: EndpointRenderer.Definition) async throws -> String {
    let service = EndpointRenderer.gatewayName(definition.name)
    switch definition.exposure {
    case .cluster:
      return "http://\(service).\(namespace).svc.cluster.local"
    case .ingress:
      return "\(definition.tlsSecret == nil ? "http" : "https")://\(definition.host ?? service)"
    case .loadBalancer:
      let clock = ContinuousClock()
      let deadline = clock.now + provider.timings.deleteTimeout
      while true {
        let object = try await client.get(.service, service, namespace: namespace)
        if case .array(let ingress)? = object?["status"]?["loadBalancer"]?["ingress"], let first = ingress.first,
          let address = first["hostname"]?.stringValue ?? first["ip"]?.stringValue
        {
          return "http://\(definition.host ?? address)"
        }
        if clock.now >= deadline {
          throw TargetError(
            "the load balancer of endpoint '\(definition.name)' has no address after \(provider.timings.deleteTimeout)",
            isRetryable: true)
        }
        progress("waiting for the load balancer address of \(namespace)/\(service)")
        try await Task.sleep(for: provider.timings.pollInterval)
      }
    }
  }

  /// Deletes the endpoint's objects and Secrets and waits until they are gone.
  func delete(_ endpoint: String, previous: Attributes) async throws -> ApplyResponse {
    var targets = Set(Teardown.recordedObjects(previous))
    let selector = "\(EndpointRenderer.endpointLabel)=\(endpoint),\(EndpointRenderer.componentLabel)=gateway"
    for kind in [KubeKind.configMap, .deployment, .podDisruptionBudget, .service, .ingress, .networkPolicy, .secret] {
      for object in try await client.list(kind, namespace: namespace, labelSelector: selector) {
        if let name = object["metadata"]?["name"]?.stringValue { targets.insert(ObjectName(kind: kind.kind, name: name)) }
      }
    }
    try await Teardown(client: client, namespace: namespace, timings: provider.timings, progress: progress)
      .delete(Array(targets))
    return ApplyResponse(message: "endpoint '\(endpoint)' removed from \(namespace) (\(targets.count) objects)")
  }

  /// Health of the endpoint's gateway: its Deployment's ready pods, the key fingerprint and the route weights.
  func observe(_ endpoint: String) async throws -> Observation {
    let name = EndpointRenderer.gatewayName(endpoint)
    guard let deployment = try await client.get(.deployment, name, namespace: namespace) else {
      return Observation(health: .missing, message: "no gateway Deployment \(namespace)/\(name)")
    }
    var attributes: Attributes = [:]
    let configMap = try await client.get(.configMap, EndpointRenderer.routesName(endpoint), namespace: namespace)
    if let text = configMap?["data"]?["gateway.json"]?.stringValue,
      let routes = try? JSONDecoder().decode(GatewayConfiguration.self, from: Data(text.utf8))
    {
      for (service, percent) in routes.traffic { attributes["routes.\(service)"] = .int(percent) }
      let mode = routes.authMode
      if mode != .none, let secret = try await client.get(.secret, EndpointRenderer.keysName(endpoint), namespace: namespace) {
        if mode == .key, let keys = EndpointSecrets.readKeys(secret) {
          attributes["key_fingerprint"] = .string(SecretFingerprint.of(keys: keys))
        }
        if mode == .amlToken, let key = EndpointSecrets.readSigningKey(secret) {
          attributes["key_fingerprint"] = .string(SecretFingerprint.of(signingKey: key))
        }
      }
    }
    let wanted = deployment["spec"]?["replicas"]?.intValue ?? 0
    let ready = deployment["status"]?["readyReplicas"]?.intValue ?? 0
    let health: Health = ready >= 1 ? .healthy : .degraded
    return Observation(
      health: health, message: "gateway \(namespace)/\(name): \(ready)/\(wanted) pods ready", attributes: attributes)
  }
}
