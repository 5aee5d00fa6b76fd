import BerthAzure
import BerthModel
import BerthTargetAPI
import Foundation

/// Deploys or updates one service's container group: PUT when what runs differs from the revision (a move to
/// another region deletes first: ACI cannot move a group), a restart when the same revision stopped, nothing when
/// it runs; then waits until every container runs, or fails with the group's events and the scoring log's tail.
struct ContainerGroupRollout {
  let provider: ACITargetProvider
  let deployment: ServiceDeployment
  let progress: @Sendable (String) -> Void

  func run() async throws -> ApplyResponse {
    guard let image = deployment.image else {
      throw TargetError("service '\(deployment.name)' has no image; aci services run the image `berth apply` builds")
    }
    let target = try ACITarget.resolve(deployment.computeTarget.settings)
    let settings = ACIServiceSettings(deployment.settings, instance: deployment.instance, target: target)
    let body = ContainerGroupRenderer.body(
      deployment, image: image, settings: settings, credential: try registryCredential(image),
      gateway: try gateway(settings: settings, target: target))
    let client = provider.arm(target)
    let path = target.containerGroupPath(deployment.instance)
    let api = ContainerGroupRenderer.apiVersion
    let existing = try await provider.azure("reading container group \(deployment.instance)") {
      try await client.get(path, apiVersion: api)
    }
    var message: String
    if let existing, Self.revision(of: existing) == deployment.revision, Self.location(of: existing) == settings.location {
      let observed = ContainerGroupHealth.observation(existing, name: deployment.instance)
      if observed.health == .healthy {
        return response(existing, target: target, settings: settings, message: "container group unchanged")
      }
      if observed.health == .progressing {
        // An earlier apply's PUT is still being carried out (that apply was interrupted): wait for it, not PUT again.
        progress("container group \(deployment.instance) is still \(observed.message) from an earlier apply; waiting")
        message = "resumed container group \(deployment.instance)"
      } else if (observed.attributes["provisioning_state"]) == .string("Succeeded") {
        progress("container group \(deployment.instance) is not running (\(observed.message)); restarting it")
        _ = try await provider.azure("restarting container group \(deployment.instance)") {
          try await client.post(path + "/restart", apiVersion: api)
        }
        message = "restarted container group \(deployment.instance)"
      } else {
        try await put(client, path: path, body: body)
        message = "re-created container group \(deployment.instance)"
      }
    } else {
      if let existing, let old = Self.location(of: existing), old != settings.location {
        progress(
          "ACI cannot move a container group: deleting \(deployment.instance) in \(old) to create it in \(settings.location)")
        try await provider.azure("deleting container group \(deployment.instance)") {
          try await client.delete(path, apiVersion: api, progress: progress)
        }
      }
      try await put(client, path: path, body: body)
      message =
        existing == nil ? "created container group \(deployment.instance)" : "updated container group \(deployment.instance)"
    }
    let running = try await waitUntilRunning(client, path: path, timeoutSeconds: settings.waitTimeoutSeconds)
    return response(running, target: target, settings: settings, message: message)
  }

  private func put(_ client: ARMClient, path: String, body: [String: Any]) async throws {
    progress("PUT container group \(deployment.instance) (revision \(deployment.revision.prefix(12)))")
    _ = try await provider.azure("creating container group \(deployment.instance)") {
      try await client.put(path, apiVersion: ContainerGroupRenderer.apiVersion, body: body, progress: progress)
    }
  }

  /// Polls the group until its containers run; a container that crashes or a failed provisioning is the deploy's error.
  private func waitUntilRunning(_ client: ARMClient, path: String, timeoutSeconds: Int) async throws -> [String: Any] {
    let clock = ContinuousClock()
    let deadline = clock.now + .seconds(timeoutSeconds)
    var last = Observation(health: .unknown)
    while true {
      let group = try await provider.azure("reading container group \(deployment.instance)") {
        try await client.get(path, apiVersion: ContainerGroupRenderer.apiVersion)
      }
      last = ContainerGroupHealth.observation(group, name: deployment.instance)
      if let group, last.health == .healthy { return group }
      if let group, crashed(group) || last.health == .degraded {
        throw TargetError(
          "container group \(deployment.instance) did not start: \(last.message)",
          logTail: ContainerGroupHealth.events(group) + (try await logTail(client, path: path)))
      }
      if group == nil { throw TargetError("container group \(deployment.instance) disappeared while starting") }
      if clock.now >= deadline {
        throw TargetError(
          "container group \(deployment.instance) was not running after \(timeoutSeconds) s (wait_timeout): \(last.message)",
          isRetryable: true, logTail: try await logTail(client, path: path))
      }
      progress("waiting for container group \(deployment.instance): \(last.message)")
      try await Task.sleep(for: provider.pollInterval)
    }
  }

  /// A container that exited or waits after restarts will not come up by waiting longer.
  private func crashed(_ group: [String: Any]) -> Bool {
    let containers = (group["properties"] as? [String: Any])?["containers"] as? [[String: Any]] ?? []
    return containers.contains { container in
      let view = (container["properties"] as? [String: Any])?["instanceView"] as? [String: Any]
      let state = (view?["currentState"] as? [String: Any])?["state"] as? String
      return state == "Terminated" || (state == "Waiting" && (view?["restartCount"] as? Int ?? 0) > 0)
    }
  }

  /// The last lines the scoring container printed (ARM's "Containers - List Logs").
  private func logTail(_ client: ARMClient, path: String) async throws -> [String] {
    let logs = try? await client.get(
      path + "/containers/\(ContainerGroupRenderer.scoringContainer)/logs?tail=30",
      apiVersion: ContainerGroupRenderer.apiVersion)
    let text = logs?["content"] as? String ?? ""
    return text.split(separator: "\n", omittingEmptySubsequences: true).suffix(30).map(String.init)
  }

  /// The gateway container's image and secret, for a service that asks for a key or token check.
  private func gateway(settings: ACIServiceSettings, target: ACITarget) throws -> ContainerGroupRenderer.GatewayPart? {
    guard let mode = settings.gatewayAuth else { return nil }
    guard let image = deployment.gatewayImage else {
      throw TargetError("service '\(deployment.name)' asks for auth but no gateway image was built for it; plan again")
    }
    let secrets = try ACITargetProvider.gatewaySecrets(
      target: target, resourceID: target.containerGroupPath(deployment.instance), environment: provider.environment)
    let secret: String
    if mode == .amlToken {
      secret = secrets.signingKey
    } else {
      let encoder = JSONEncoder()
      encoder.outputFormatting = .sortedKeys  // the same keys, the same bytes: an update sends an unchanged value
      let data = try encoder.encode(secrets.keys)
      secret = String(decoding: data, as: UTF8.self)
    }
    return .init(image: image.reference, secret: secret)
  }

  /// Pull credentials from the variables the Workspace registry names; a named variable that is unset is an error
  /// naming it (never a value).
  private func registryCredential(_ image: ContainerImage) throws -> ContainerGroupRenderer.RegistryCredential? {
    guard image.usernameEnv != nil || image.passwordEnv != nil else { return nil }
    func read(_ variable: String?, _ what: String) throws -> String {
      guard let variable else { throw TargetError("the registry \(image.registry) names no variable for its \(what)") }
      guard let value = provider.environment[variable], !value.isEmpty else {
        throw TargetError("registry \(what) variable $\(variable) is not set; ACI needs it to pull \(image.registry)")
      }
      return value
    }
    return .init(
      server: image.registry, username: try read(image.usernameEnv, "user name"),
      password: try read(image.passwordEnv, "password"))
  }

  private func response(_ group: [String: Any], target: ACITarget, settings: ACIServiceSettings, message: String)
    -> ApplyResponse
  {
    var outputs: Attributes = [:]
    outputs["revision"] = .string(deployment.revision)
    outputs[ServiceInstance.outputKey] = .string(deployment.instance)
    outputs["image"] = deployment.image.map { .string($0.reference) }
    outputs["resource_id"] = .string(target.containerGroupPath(deployment.instance))
    outputs["location"] = .string(settings.location)
    outputs["port"] = .int(settings.port)
    let address = (group["properties"] as? [String: Any])?["ipAddress"] as? [String: Any]
    let host = address?["fqdn"] as? String ?? "\(settings.dnsNameLabel).\(settings.location).azurecontainer.io"
    let port = settings.port == 80 ? "" : ":\(settings.port)"
    outputs["scoring_uri"] = .string("http://\(host)\(port)/score")
    outputs["swagger_uri"] = .string("http://\(host)\(port)/swagger.json")
    if let ip = address?["ip"] as? String { outputs["ip"] = .string(ip) }
    for key in ACITarget.recordedKeys {
      if let value = deployment.computeTarget.settings[key] { outputs["target.\(key)"] = value }
    }
    if let mode = settings.gatewayAuth {
      // What `berth endpoints get-credentials SERVICE` needs to find the keys: the service is its own gateway.
      outputs["gateway_endpoint"] = .string(deployment.instance)
      outputs["auth_mode"] = .string(mode.rawValue)
      outputs["gateway_image"] = deployment.gatewayImage.map { .string($0.reference) }
    }
    return ApplyResponse(outputs: outputs, message: message)
  }

  static func revision(of group: [String: Any]) -> String? {
    (group["tags"] as? [String: Any])?["berth.dev/revision"] as? String
  }

  static func location(of group: [String: Any]) -> String? { group["location"] as? String }
}
