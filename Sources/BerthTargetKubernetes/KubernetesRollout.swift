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
    let objects = KubernetesRenderer.render(deployment, image: .built(image), namespace: namespace, pullSecret: pullSecret)
    for object in objects {
      try await client.apply(object, force: true)
      progress("applied \(ObjectName(object).map(\.description) ?? "?")")
    }
    let current = Set(objects.compactMap(ObjectName.init))
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
    return ApplyResponse(outputs: outputs, message: "revision \(deployment.revision) rolled out in \(namespace): \(status)")
  }
}
