import BerthModel
import BerthTargetAPI

/// Deploys or updates one service: pull secret, server-side apply of its objects, prune, wait for the rollout.
struct KubernetesRollout: Sendable {
  let provider: KubernetesTargetProvider
  let client: KubeClient
  let deployment: ServiceDeployment
  let previous: Attributes?
  let progress: @Sendable (String) -> Void

  func run() async throws -> ApplyResponse {
    guard let image = deployment.image else {
      throw TargetError(
        "service '\(deployment.name)' has no container image: the kubernetes target runs the image Berth builds and pushes "
          + "(the workspace needs a `registry`); `berth render \(deployment.name)` shows the objects with a placeholder image")
    }
    let namespace = client.connection.namespace
    var pullSecret: String?
    if let secret = try PullSecret.object(for: image, namespace: namespace, environment: provider.environment) {
      try await client.apply(secret)
      pullSecret = secret["metadata"]?["name"]?.stringValue
      progress("pull secret \(namespace)/\(pullSecret ?? "?") applied")
    }
    // `auth_enabled` without an endpoint: the service gets a gateway of its own, as a one-deployment endpoint
    // named after its instance; its pods and Service then carry that endpoint's label and route entry.
    var rendered = deployment
    if deployment.wantsOwnAuth { rendered.endpoint = deployment.instance }
    let objects = KubernetesRenderer.render(rendered, image: .built(image), namespace: namespace, pullSecret: pullSecret)
    for object in objects {
      try await client.apply(object, force: true)
      progress("applied \(ObjectName(object).map(\.description) ?? "?")")
    }
    var gateway: ApplyResponse?
    if deployment.wantsOwnAuth {
      gateway = try await EndpointPublisher(provider: provider, client: client, progress: progress).publish(
        ownEndpoint, previous: nil)
    }
    var current = Set(objects.compactMap(ObjectName.init))
    current.formUnion(Teardown.recordedObjects(gateway?.outputs ?? [:]))
    let teardown = Teardown(client: client, namespace: namespace, timings: provider.timings, progress: progress)
    if case .string(let oldNamespace)? = previous?["namespace"], oldNamespace != namespace {
      // The compute target moved to another namespace: the service now runs in the new one; the old objects go.
      progress("removing the objects left in the previous namespace \(oldNamespace)")
      try await Teardown(client: client, namespace: oldNamespace, timings: provider.timings, progress: progress)
        .delete(service: deployment.instance, recorded: previous ?? [:])
    } else {
      let stale = Teardown.recordedObjects(previous ?? [:]).filter { !current.contains($0) }
      if !stale.isEmpty { try await teardown.delete(stale) }
    }

    let settings = KubernetesSettings(deployment.settings)
    let waiter = RolloutWaiter(
      client: client, namespace: namespace, name: deployment.instance,
      timeout: .seconds(settings.waitTimeoutSeconds) + provider.timings.rolloutSlack,
      pollInterval: provider.timings.pollInterval, progress: progress)
    let status = try await waiter.wait()

    var outputs = ManagedFields.record(objects)
    outputs["revision"] = .string(deployment.revision)
    outputs[ServiceInstance.outputKey] = .string(deployment.instance)
    outputs["namespace"] = .string(namespace)
    if let endpoint = deployment.endpoint { outputs["endpoint"] = .string(endpoint) }
    outputs["image"] = .string(image.reference)
    outputs["objects"] = .list(objects.compactMap(ObjectName.init).map { .string($0.description) })
    let host = "\(deployment.instance).\(namespace).svc.cluster.local"
    let port = settings.servicePort == 80 ? "" : ":\(settings.servicePort)"
    outputs["scoring_uri"] = .string("http://\(host)\(port)/score")
    outputs["swagger_uri"] = .string("http://\(host)\(port)/swagger.json")
    for key in KubernetesTargetProvider.connectionKeys {
      if let value = deployment.computeTarget.settings[key] { outputs["target.\(key)"] = value }
    }
    if let gateway {
      // Callers go through the gateway: its address, auth mode and key fingerprint are the service's.
      for key in ["scoring_uri", "swagger_uri", "auth_mode", "key_fingerprint"] { outputs[key] = gateway.outputs[key] }
      outputs["gateway_endpoint"] = .string(deployment.instance)
      let all = Teardown.recordedObjects(outputs) + Teardown.recordedObjects(gateway.outputs)
      outputs["objects"] = .list(all.map { .string($0.description) })
    }
    return ApplyResponse(outputs: outputs, message: "revision \(deployment.revision) rolled out in \(namespace): \(status)")
  }

  /// The one-deployment endpoint of a service with its own key (or token) check.
  var ownEndpoint: EndpointDeployment {
    let token = deployment.settings["token_auth_enabled"] == .bool(true)
    return EndpointDeployment(
      name: deployment.instance,
      spec: EndpointSpec(
        computeTarget: deployment.computeTargetName, authMode: token ? .amlToken : .key,
        traffic: [deployment.name: 100]),
      computeTargetName: deployment.computeTargetName, computeTarget: deployment.computeTarget,
      gatewayImage: deployment.gatewayImage)
  }
}
