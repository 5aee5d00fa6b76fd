import BerthModel
import BerthTargetAPI

/// Observes every recorded service of one namespace with one (paged) list per kind, by Berth's label.
struct BulkObservation: Sendable {
  let client: KubeClient
  let namespace: String

  func run(_ services: [ObservedService]) async throws -> ObserveResponse {
    let selector = KubernetesRenderer.managedSelector
    async let deployments = client.listAll(.deployment, namespace: namespace, labelSelector: selector)
    async let kubeServices = client.listAll(.service, namespace: namespace, labelSelector: selector)
    async let autoscalers = client.listAll(.horizontalPodAutoscaler, namespace: namespace, labelSelector: selector)
    async let budgets = client.listAll(.podDisruptionBudget, namespace: namespace, labelSelector: selector)
    let listed: [String: KubeClient.Listed] = [
      "Deployment": try await deployments, "Service": try await kubeServices,
      "HorizontalPodAutoscaler": try await autoscalers, "PodDisruptionBudget": try await budgets,
    ]
    return ObserveResponse(
      services: Self.evaluate(services, lists: listed.mapValues(\.items), namespace: namespace),
      backendCalls: listed.values.map(\.calls).reduce(0, +))
  }

  /// Health, revision and drift of each service from the listed objects (kind → objects). Pure.
  static func evaluate(_ services: [ObservedService], lists: [String: [JSONValue]], namespace: String) -> [String: Observation] {
    var byKind: [String: [String: JSONValue]] = [:]
    for (kind, objects) in lists {
      for object in objects {
        if let name = object["metadata"]?["name"]?.stringValue { byKind[kind, default: [:]][name] = object }
      }
    }
    var observations: [String: Observation] = [:]
    for service in services {
      observations[service.name] = observe(service, byKind: byKind, namespace: namespace)
    }
    return observations
  }

  private static func observe(_ service: ObservedService, byKind: [String: [String: JSONValue]], namespace: String) -> Observation
  {
    guard let deployment = byKind["Deployment"]?[service.instance] else {
      return Observation(health: .missing, message: "Deployment \(namespace)/\(service.instance) not found")
    }
    let revision = deployment["spec"]?["template"]?["metadata"]?["annotations"]?[KubernetesRenderer.revisionAnnotation]?
      .stringValue
    let status = deployment["status"] ?? .object([])
    let attributes: Attributes = [
      ServiceInstance.outputKey: .string(service.instance), "namespace": .string(namespace),
      "replicas": .int(status["replicas"]?.intValue ?? 0),
      "available_replicas": .int(status["availableReplicas"]?.intValue ?? 0),
      "image": .string(deployment.value(at: "spec.template.spec.containers[0].image")?.stringValue ?? ""),
    ]
    func observation(_ health: Health, _ message: String) -> Observation {
      Observation(health: health, revision: revision, message: message, attributes: attributes)
    }
    var live: [String: JSONValue] = [:]
    var missing: [String] = []
    if case .list(let recordedObjects)? = service.recordedOutputs["objects"] {
      for case .string(let entry) in recordedObjects {
        let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { continue }
        if let object = byKind[parts[0]]?[parts[1]] { live[parts[0]] = object } else { missing.append(entry) }
      }
    } else {
      live["Deployment"] = deployment
    }
    if !missing.isEmpty {
      return observation(.degraded, "missing in \(namespace): \(missing.joined(separator: ", "))")
    }
    let drift = ManagedFields.differences(recorded: service.recordedOutputs, live: live)
    if !drift.isEmpty {
      return observation(.degraded, "changed outside Berth: " + drift.joined(separator: "; "))
    }
    let conditions = status["conditions"]?.arrayValue ?? []
    let available = conditions.first { $0["type"]?.stringValue == "Available" }
    switch RolloutStatus.of(deployment) {
    case .failed(let message):
      return observation(.degraded, message)
    case .progressing(let message):
      if available?["status"]?.stringValue == "False" {
        return observation(.degraded, "no minimum availability: \(available?["message"]?.stringValue ?? message)")
      }
      return observation(.progressing, message)
    case .complete(let message):
      return observation(.healthy, "revision \(revision ?? "?") in \(namespace): \(message)")
    }
  }
}
