import BerthModel

/// The fields Berth sets and compares for drift, per kind; everything else (status, defaults, other managers) is ignored.
///
/// At apply their rendered values are recorded as outputs `managed.<Kind>.<path>`; observe reads the same
/// paths from the live objects. A HorizontalPodAutoscaler's replica count is not compared: it owns it.
public enum ManagedFields {
  static let paths: [String: [String]] = [
    "Deployment": [
      "spec.replicas", "spec.template.spec.containers[0].image",
      "spec.template.spec.containers[0].resources.limits.cpu",
      "spec.template.spec.containers[0].resources.limits.memory",
      "spec.template.metadata.annotations[\(KubernetesRenderer.revisionAnnotation)]",
    ],
    "Service": ["spec.ports[0].port", "spec.ports[0].targetPort"],
    "HorizontalPodAutoscaler": [
      "spec.minReplicas", "spec.maxReplicas", "spec.metrics[0].resource.target.averageUtilization",
    ],
    "PodDisruptionBudget": ["spec.maxUnavailable"],
  ]

  static let prefix = "managed."

  /// The managed values of rendered objects, as outputs to record.
  public static func record(_ objects: [JSONValue]) -> Attributes {
    var outputs: Attributes = [:]
    for object in objects {
      guard let kind = object["kind"]?.stringValue else { continue }
      for path in paths[kind] ?? [] {
        if let value = object.value(at: path).flatMap(fieldValue) { outputs[prefix + kind + "." + path] = value }
      }
    }
    return outputs
  }

  /// `Kind path: recorded → live` for each recorded managed value the live objects (by kind) no longer have.
  public static func differences(recorded: Attributes, live: [String: JSONValue]) -> [String] {
    var differences: [String] = []
    for key in recorded.keys.sorted() where key.hasPrefix(prefix) {
      let rest = key.dropFirst(prefix.count)
      guard let dot = rest.firstIndex(of: ".") else { continue }
      let kind = String(rest[..<dot])
      let path = String(rest[rest.index(after: dot)...])
      guard let object = live[kind] else { continue }
      let current = object.value(at: path).flatMap(fieldValue)
      if current != recorded[key] {
        differences.append("\(kind) \(path): \(recorded[key]!) → \(current?.description ?? "(none)")")
      }
    }
    return differences
  }

  static func fieldValue(_ value: JSONValue) -> FieldValue? {
    switch value {
    case .string(let s): .string(s)
    case .int(let i): .int(i)
    case .double(let d): .double(d)
    case .bool(let b): .bool(b)
    default: nil
    }
  }
}
