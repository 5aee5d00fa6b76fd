import BerthGraph
import BerthModel
import BerthState
import Crypto
import Foundation

/// One resource as it should be recorded after apply: flat attributes and dependencies.
public struct DesiredResource: Hashable, Sendable {
  public var address: ResourceAddress
  public var attributes: Attributes
  public var dependencies: [ResourceAddress]
  public var lifecycle: Lifecycle

  public init(address: ResourceAddress, attributes: Attributes, dependencies: [ResourceAddress], lifecycle: Lifecycle) {
    self.address = address
    self.attributes = attributes
    self.dependencies = dependencies
    self.lifecycle = lifecycle
  }
}

/// Computes desired attributes: the spec flattened, content digests, resolved model versions, service revisions.
public enum DesiredState {
  public static func build(_ input: PlanInput) -> (resources: [ResourceAddress: DesiredResource], diagnostics: [Diagnostic]) {
    var result: [ResourceAddress: DesiredResource] = [:]
    var diagnostics: [Diagnostic] = []
    let graph = input.graph
    for address in graph.order {
      guard let resource = graph[address] else { continue }
      var attributes: Attributes = [:]
      let digest = input.contentDigests[address]
      switch resource.spec {
      case .workspace:
        continue
      case .model(let spec):
        attributes["path"] = .string(spec.path)
        if let description = spec.description { attributes["description"] = .string(description) }
        for (key, value) in spec.tags { attributes["tags.\(key)"] = .string(value) }
        for (key, value) in spec.properties { attributes["properties.\(key)"] = .string(value) }
        if let digest {
          attributes["content.sha256"] = .string(digest)
          attributes["version"] = .int(modelVersion(name: address.name, digest: digest, state: input.state))
        }
      case .environment(let spec):
        attributes["conda_file"] = .string(spec.condaFile)
        for (key, value) in spec.environmentVariables { attributes["environment_variables.\(key)"] = .string(value) }
        // Written only when set, so plans of environments that do not use them stay as they were.
        if spec.resolution.rule != .era { attributes["resolution"] = .string(spec.resolution.rule.rawValue) }
        if spec.resolution.solver != .uv { attributes["solver"] = .string(spec.resolution.solver.rawValue) }
        if !spec.resolution.pipConstraints.isEmpty {
          attributes["pip_constraints"] = .list(spec.resolution.pipConstraints.map(FieldValue.string))
        }
        if let digest { attributes["content.sha256"] = .string(digest) }
      case .inferenceConfig(let spec):
        attributes["source_directory"] = .string(spec.sourceDirectory)
        attributes["entry_script"] = .string(spec.entryScript)
        attributes["runtime"] = .string(spec.runtime)
        attributes["environment"] = .string(spec.environment)
        if let image = spec.baseImage { attributes["base_image"] = .string(image) }
        if let digest { attributes["content.sha256"] = .string(digest) }
      case .computeTarget(let spec):
        attributes["type"] = .string(spec.type.rawValue)
        for (key, value) in spec.settings { attributes[key] = value }
      case .endpoint(let spec):
        // One attribute per service share, so a plan shows `traffic.blue: 100 → 90`.
        attributes["compute_target"] = .string(spec.computeTarget)
        attributes["auth_mode"] = .string(spec.authMode.rawValue)
        for (service, percent) in spec.traffic { attributes["traffic.\(service)"] = .int(percent) }
        for (service, percent) in spec.mirrorTraffic { attributes["mirror_traffic.\(service)"] = .int(percent) }
        if let port = spec.port { attributes["port"] = .int(port) }
        let target = graph.computeTarget(of: spec)
        if target?.type == .local {
          attributes["listen_address"] = .string(spec.effectiveListenAddress)
        }
        if let target, target.type == .kubernetes {
          let cluster = spec.cluster
          let exposure = cluster.exposure?.rawValue ?? Self.text(target.settings["exposure"]) ?? "cluster"
          attributes["exposure"] = .string(exposure)
          if let image = cluster.gatewayImage ?? Self.text(target.settings["gateway_image"]) {
            attributes["gateway_image"] = .string(image)
          }
          attributes["gateway_replicas"] = .int(cluster.gatewayReplicas ?? 2)
          let optional: [(String, String?)] = [
            ("ingress_class", cluster.ingressClass), ("host", cluster.host), ("tls_secret", cluster.tlsSecret),
            ("tls_cert_env", cluster.tlsCertEnv), ("tls_key_env", cluster.tlsKeyEnv),
          ]
          for (key, value) in optional { if let value { attributes[key] = .string(value) } }
        }
        if let description = spec.description { attributes["description"] = .string(description) }
      case .service(let spec):
        attributes["compute_target"] = .string(spec.computeTarget)
        attributes["inference_config"] = .string(spec.inferenceConfig)
        if let endpoint = spec.endpoint { attributes["endpoint"] = .string(endpoint) }
        for (key, value) in spec.deployment { attributes["deployment.\(key)"] = value }
        var models: [FieldValue] = []
        for (index, reference) in spec.models.enumerated() {
          let modelAddress = ResourceAddress(.model, reference.name)
          guard case .int(let latest)? = result[modelAddress]?.attributes["version"] else { continue }
          if let pinned = reference.version {
            let known = input.state.modelVersions[reference.name]?.contains { $0.version == pinned } ?? false
            if !known && pinned != latest {
              diagnostics.append(
                .error(
                  "model '\(reference.name)' has no version \(pinned)", at: resource.location(of: "models[\(index)]"),
                  hint: "registered versions: \(versionList(reference.name, input.state, planned: latest))"))
            }
            models.append(.string("\(reference.name):\(pinned)"))
          } else {
            models.append(.string("\(reference.name):\(latest)"))
          }
        }
        attributes["models"] = .list(models)
        if let config = graph.inferenceConfig(named: spec.inferenceConfig) {
          attributes["entry_script"] = .string(config.entryScript)
          if let code = input.contentDigests[ResourceAddress(.inferenceConfig, spec.inferenceConfig)] {
            attributes["code.sha256"] = .string(code)
          }
          let environmentAddress = ResourceAddress(.environment, config.environment)
          if let environment = input.contentDigests[environmentAddress] {
            attributes["environment.sha256"] = .string(environment)
          }
          if let variables = graph.environment(named: config.environment)?.environmentVariables {
            for (key, value) in variables { attributes["environment_variables.\(key)"] = .string(value) }
          }
        }
        // A batch job's input files (names and bytes): a new file makes a new revision, hence a new run.
        if let inputs = digest { attributes["inputs.sha256"] = .string(inputs) }
        attributes["revision"] = .string(revision(of: attributes))
      }
      // Secrets written where they should not be are kept as a digest: changes are still seen, the value never stored.
      for key in attributes.keys where Sensitivity.isSensitive(key) {
        attributes[key] = .string("sha256:" + digestText(attributes[key]!.description))
      }
      let dependencies = (graph.dependencies[address] ?? []).sorted()
      result[address] = DesiredResource(
        address: address, attributes: attributes, dependencies: dependencies, lifecycle: resource.lifecycle)
    }
    return (result, diagnostics)
  }

  /// The version a model's bytes get: the newest recorded one when its digest matches, else the next.
  static func modelVersion(name: String, digest: String, state: StateSnapshot) -> Int {
    guard let latest = state.latestVersion(of: name) else { return 1 }
    return latest.sha256 == digest ? latest.version : latest.version + 1
  }

  /// A short digest of a service's inputs: equal revisions run the same code, models, environment and settings.
  public static func revision(of attributes: Attributes) -> String {
    var hasher = SHA256()
    for key in attributes.keys.sorted() where key != "revision" {
      hasher.update(data: Data("\(key)=\(attributes[key]!.description)\n".utf8))
    }
    return String(Hex.encode(hasher.finalize()).prefix(12))
  }

  static func digestText(_ text: String) -> String {
    Hex.encode(SHA256.hash(data: Data(text.utf8)))
  }

  private static func versionList(_ name: String, _ state: StateSnapshot, planned: Int) -> String {
    var versions = (state.modelVersions[name] ?? []).map(\.version)
    if !versions.contains(planned) { versions.append(planned) }
    return versions.map(String.init).joined(separator: ", ")
  }

  /// A string setting's text.
  static func text(_ value: FieldValue?) -> String? {
    if case .string(let text)? = value { return text }
    return nil
  }
}
