import BerthModel
import BerthTargetAPI

/// Deletes a service's objects (or prunes some of them) and waits until the API server no longer has them.
struct Teardown: Sendable {
  let client: KubeClient
  let namespace: String
  let timings: KubernetesTimings
  let progress: @Sendable (String) -> Void

  /// Everything Berth made for `service`: the recorded objects and any others carrying its labels.
  func delete(service: String, recorded: Attributes) async throws {
    var targets = Set(Self.recordedObjects(recorded))
    let selector = "\(KubernetesRenderer.nameLabel)=\(service),\(KubernetesRenderer.managedSelector)"
    for kind in KubeKind.serviceKinds {
      for object in try await client.list(kind, namespace: namespace, labelSelector: selector) {
        if let name = object["metadata"]?["name"]?.stringValue { targets.insert(ObjectName(kind: kind.kind, name: name)) }
      }
    }
    try await delete(Array(targets))
  }

  /// Deletes `objects` (reverse apply order) and waits until each is gone.
  func delete(_ objects: [ObjectName]) async throws {
    let order = KubeKind.serviceKinds.map(\.kind)
    let sorted = objects.sorted { (order.firstIndex(of: $0.kind) ?? 0, $0.name) > (order.firstIndex(of: $1.kind) ?? 0, $1.name) }
    for object in sorted {
      guard let kind = KubeKind.named(object.kind) else { continue }
      if try await client.delete(kind, object.name, namespace: namespace) { progress("deleting \(object)") }
    }
    let clock = ContinuousClock()
    let deadline = clock.now + timings.deleteTimeout
    var remaining = sorted
    while !remaining.isEmpty {
      var still: [ObjectName] = []
      for object in remaining {
        guard let kind = KubeKind.named(object.kind) else { continue }
        if try await client.get(kind, object.name, namespace: namespace) != nil { still.append(object) }
      }
      remaining = still
      if remaining.isEmpty { break }
      if clock.now >= deadline {
        throw TargetError(
          "still present after \(timings.deleteTimeout): " + remaining.map(\.description).joined(separator: ", "),
          isRetryable: true)
      }
      try await Task.sleep(for: timings.pollInterval)
    }
  }

  /// `Kind/name` entries recorded under `objects` at the last apply.
  static func recordedObjects(_ outputs: Attributes) -> [ObjectName] {
    guard case .list(let items)? = outputs["objects"] else { return [] }
    return items.compactMap { item in
      guard case .string(let text) = item else { return nil }
      let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
      return parts.count == 2 ? ObjectName(kind: parts[0], name: parts[1]) : nil
    }
  }
}

/// A namespaced object by kind and name: `Deployment/iris-aks`.
struct ObjectName: Hashable, Sendable, CustomStringConvertible {
  var kind: String
  var name: String

  init(kind: String, name: String) {
    self.kind = kind
    self.name = name
  }

  init?(_ object: JSONValue) {
    guard let kind = object["kind"]?.stringValue, let name = object["metadata"]?["name"]?.stringValue else { return nil }
    self.init(kind: kind, name: name)
  }

  var description: String { "\(kind)/\(name)" }
}
