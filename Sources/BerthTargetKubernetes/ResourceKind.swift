import BerthModel

/// The Kubernetes kinds Berth reads and writes, and where each lives in the REST API.
public struct KubeKind: Hashable, Sendable, CustomStringConvertible {
  public var apiVersion: String
  public var kind: String
  /// Lower-case plural in URLs: `deployments`.
  public var plural: String
  public var namespaced: Bool

  public static let namespace = KubeKind(apiVersion: "v1", kind: "Namespace", plural: "namespaces", namespaced: false)
  public static let serviceAccount = KubeKind(
    apiVersion: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true)
  public static let secret = KubeKind(apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true)
  public static let service = KubeKind(apiVersion: "v1", kind: "Service", plural: "services", namespaced: true)
  public static let pod = KubeKind(apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true)
  public static let event = KubeKind(apiVersion: "v1", kind: "Event", plural: "events", namespaced: true)
  public static let deployment = KubeKind(apiVersion: "apps/v1", kind: "Deployment", plural: "deployments", namespaced: true)
  public static let horizontalPodAutoscaler = KubeKind(
    apiVersion: "autoscaling/v2", kind: "HorizontalPodAutoscaler", plural: "horizontalpodautoscalers", namespaced: true)
  public static let podDisruptionBudget = KubeKind(
    apiVersion: "policy/v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", namespaced: true)

  public static let configMap = KubeKind(apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true)
  public static let ingress = KubeKind(
    apiVersion: "networking.k8s.io/v1", kind: "Ingress", plural: "ingresses", namespaced: true)
  public static let networkPolicy = KubeKind(
    apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", plural: "networkpolicies", namespaced: true)

  /// A batch job's run on a cluster (an Indexed Job).
  public static let job = KubeKind(apiVersion: "batch/v1", kind: "Job", plural: "jobs", namespaced: true)

  public static let all: [KubeKind] = [
    namespace, serviceAccount, secret, service, pod, event, deployment, horizontalPodAutoscaler, podDisruptionBudget,
    configMap, ingress, networkPolicy, job,
  ]

  /// The kinds a service is made of, in apply order.
  public static let serviceKinds: [KubeKind] = [deployment, service, horizontalPodAutoscaler, podDisruptionBudget]

  public static func of(_ object: JSONValue) -> KubeKind? {
    all.first { $0.kind == object["kind"]?.stringValue && $0.apiVersion == object["apiVersion"]?.stringValue }
  }

  public static func named(_ kind: String) -> KubeKind? { all.first { $0.kind == kind } }

  /// `/api/v1` or `/apis/apps/v1`.
  var groupPath: String { apiVersion.contains("/") ? "/apis/\(apiVersion)" : "/api/\(apiVersion)" }

  /// The collection path, in `namespace` when the kind is namespaced.
  func collectionPath(namespace: String?) -> String {
    if namespaced, let namespace { return "\(groupPath)/namespaces/\(namespace)/\(plural)" }
    return "\(groupPath)/\(plural)"
  }

  public var description: String { kind }
}
