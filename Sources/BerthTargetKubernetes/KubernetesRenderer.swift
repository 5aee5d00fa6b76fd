import BerthGateway
import BerthModel
import BerthTargetAPI
import Foundation

/// The image a rendered Deployment runs: a built one (by digest), or a marked placeholder before any build.
public enum RenderedImage: Hashable, Sendable {
  case built(ContainerImage)
  /// A reference given by hand (`berth render --image REF`) or recorded at the last apply.
  case reference(String)
  /// No image yet: the Deployment names `placeholderReference` and carries `berth.dev/image: placeholder`.
  case placeholder

  public static let placeholderReference = "berth.invalid/image-not-built-yet:placeholder"

  var reference: String {
    switch self {
    case .built(let image): image.reference
    case .reference(let text): text
    case .placeholder: Self.placeholderReference
    }
  }
}

/// Turns one service revision into the Kubernetes objects that run it. Pure: values in, values out.
///
/// Objects, in apply order: Deployment, Service, HorizontalPodAutoscaler (when autoscaling) and
/// PodDisruptionBudget. The image pull Secret is not rendered here: it carries credentials
/// (see `PullSecret`).
public enum KubernetesRenderer {
  public static let managedByLabel = "app.kubernetes.io/managed-by"
  public static let nameLabel = "app.kubernetes.io/name"
  /// The service's current name in the manifests (the name label keeps the instance, which renames do not change).
  public static let serviceLabel = "berth.dev/service"
  public static let managedBy = "berth"
  public static let containerName = "scoring"
  public static let serviceAccountName = "berth-scoring"
  public static let revisionAnnotation = "berth.dev/revision"

  /// The label selector of everything Berth manages in a namespace.
  public static let managedSelector = "\(managedByLabel)=\(managedBy)"

  /// The objects for `deployment` in `namespace`; pods name `pullSecret` (a registry's `PullSecret`) when given.
  public static func render(_ deployment: ServiceDeployment, image: RenderedImage, namespace: String, pullSecret: String? = nil)
    -> [JSONValue]
  {
    let settings = KubernetesSettings(deployment.settings)
    // Objects are named after the instance, which stays when the service is renamed (`metadata.previous_names`).
    let name = deployment.instance
    let labels = self.labels(deployment)
    let annotations = self.annotations(deployment, image: image)
    func metadata(_ objectName: String = name) -> JSONValue {
      .obj([
        "name": .string(objectName), "namespace": .string(namespace), "labels": .strings(labels),
        "annotations": .strings(annotations),
      ])
    }
    // A deployment of an endpoint tells the endpoint's gateway how to reach it and what limits to enforce.
    var serviceMetadata = metadata()
    if deployment.endpoint != nil {
      var serviceAnnotations = annotations
      serviceAnnotations[EndpointRenderer.gatewayDeploymentAnnotation] = gatewayEntryText(
        deployment, settings: settings, namespace: namespace)
      serviceMetadata = .obj([
        "name": .string(name), "namespace": .string(namespace), "labels": .strings(labels),
        "annotations": .strings(serviceAnnotations),
      ])
    }
    var objects: [JSONValue] = [
      .obj([
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata(),
        "spec": deploymentSpec(
          deployment, settings: settings, image: image, pullSecret: pullSecret, labels: labels, annotations: annotations),
      ]),
      .obj([
        "apiVersion": "v1", "kind": "Service", "metadata": serviceMetadata,
        "spec": .obj([
          "type": "ClusterIP", "selector": .strings(selector(name)),
          "ports": .array([
            .obj([
              "name": "http", "port": .int(settings.servicePort), "targetPort": "http", "protocol": "TCP",
            ])
          ]),
        ]),
      ]),
    ]
    if settings.isAutoscaled {
      objects.append(
        .obj([
          "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": metadata(),
          "spec": .obj([
            "scaleTargetRef": .obj(["apiVersion": "apps/v1", "kind": "Deployment", "name": .string(name)]),
            "minReplicas": .int(settings.autoscaleMin), "maxReplicas": .int(settings.autoscaleMax),
            "metrics": .array([
              .obj([
                "type": "Resource",
                "resource": .obj([
                  "name": "cpu",
                  "target": .obj([
                    "type": "Utilization", "averageUtilization": .int(settings.autoscaleTargetUtilization),
                  ]),
                ]),
              ])
            ]),
          ]),
        ]))
    }
    objects.append(
      .obj([
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": metadata(),
        "spec": .obj(["maxUnavailable": .int(1), "selector": .obj(["matchLabels": .strings(selector(name))])]),
      ]))
    return objects
  }

  /// The labels every object of a service carries: the manifest's labels, then Berth's own.
  public static func labels(_ deployment: ServiceDeployment) -> [String: String] {
    var labels = deployment.labels
    labels[nameLabel] = deployment.instance
    labels["app.kubernetes.io/instance"] = deployment.instance
    labels[serviceLabel] = deployment.name
    labels["app.kubernetes.io/component"] = "scoring"
    labels[managedByLabel] = managedBy
    if let endpoint = deployment.endpoint { labels[EndpointRenderer.endpointLabel] = endpoint }
    return labels
  }

  /// The gateway's entry for a deployment of an endpoint: its Service's cluster address and its limits.
  public static func gatewayEntry(_ deployment: ServiceDeployment, settings: KubernetesSettings, namespace: String)
    -> GatewayConfiguration.Deployment
  {
    GatewayConfiguration.Deployment(
      name: deployment.name, upstreams: ["\(deployment.instance).\(namespace).svc.cluster.local:\(settings.servicePort)"],
      replicas: settings.replicas ?? settings.autoscaleMax,
      replicaMaxConcurrentRequests: settings.replicaMaxConcurrentRequests,
      maxRequestWaitTimeMs: settings.maxRequestWaitTimeMs, scoringTimeoutMs: settings.scoringTimeoutMs)
  }

  static func gatewayEntryText(_ deployment: ServiceDeployment, settings: KubernetesSettings, namespace: String) -> String {
    let entry = gatewayEntry(deployment, settings: settings, namespace: namespace)
    return String(decoding: (try? EndpointRenderer.sortedEncoder.encode(entry)) ?? Data(), as: UTF8.self)
  }

  /// The pod selector of a service (immutable once the Deployment exists).
  public static func selector(_ service: String) -> [String: String] {
    [nameLabel: service, managedByLabel: managedBy]
  }

  /// Where the revision came from: its digest, the models, environment and image digests.
  static func annotations(_ deployment: ServiceDeployment, image: RenderedImage) -> [String: String] {
    var annotations = [
      revisionAnnotation: deployment.revision,
      "berth.dev/environment-sha256": deployment.environmentDigest,
      "berth.dev/models": deployment.models.map { "\($0.name):\($0.version)@sha256:\($0.sha256)" }.joined(separator: ","),
      "berth.dev/compute-target": deployment.computeTargetName,
    ]
    switch image {
    case .built(let built): annotations["berth.dev/image-digest"] = built.digest
    case .reference: break
    case .placeholder: annotations["berth.dev/image"] = "placeholder"
    }
    return annotations
  }

  private static func deploymentSpec(
    _ deployment: ServiceDeployment, settings: KubernetesSettings, image: RenderedImage, pullSecret: String?,
    labels: [String: String],
    annotations: [String: String]
  ) -> JSONValue {
    let probe = settings.probe
    func probeObject(initialDelay: Int) -> JSONValue {
      .obj([
        "httpGet": .obj(["path": "/", "port": "http"]), "initialDelaySeconds": .int(initialDelay),
        "periodSeconds": .int(probe.periodSeconds), "timeoutSeconds": .int(probe.timeoutSeconds),
        "successThreshold": .int(probe.successThreshold), "failureThreshold": .int(probe.failureThreshold),
      ])
    }
    var environment = deployment.environmentVariables.merging(settings.environmentVariables) { _, service in service }
    environment["WORKER_COUNT"] = String(settings.workerCount)
    environment["SCORING_TIMEOUT_MS"] = String(settings.scoringTimeoutMs)
    environment["SERVICE_NAME"] = deployment.name
    environment["SERVICE_VERSION"] = deployment.revision
    var limits: [JSONValue.Member] = [
      .init("cpu", .string(settings.cpuQuantity)), .init("memory", .string(settings.memoryQuantity)),
    ]
    if settings.gpuCores > 0 { limits.append(.init("nvidia.com/gpu", .int(settings.gpuCores))) }
    let pullSecrets: JSONValue? = pullSecret.map { .array([.obj(["name": .string($0)])]) }
    let container: JSONValue = .obj([
      "name": .string(containerName), "image": .string(image.reference), "imagePullPolicy": "IfNotPresent",
      "ports": .array([.obj(["name": "http", "containerPort": .int(KubernetesSettings.containerPort), "protocol": "TCP"])]),
      "env": .array(environment.keys.sorted().map { .obj(["name": .string($0), "value": .string(environment[$0]!)]) }),
      "resources": .obj(["requests": .object(limits), "limits": .object(limits)]),
      "livenessProbe": probeObject(initialDelay: probe.initialDelaySeconds),
      "readinessProbe": probeObject(initialDelay: 0),
    ])
    return .obj([
      "replicas": settings.replicas.map { .int($0) },
      "revisionHistoryLimit": 5,
      "progressDeadlineSeconds": .int(settings.waitTimeoutSeconds),
      "selector": .obj(["matchLabels": .strings(selector(deployment.instance))]),
      "strategy": .obj(["type": "RollingUpdate", "rollingUpdate": .obj(["maxUnavailable": 0, "maxSurge": 1])]),
      "template": .obj([
        "metadata": .obj(["labels": .strings(labels), "annotations": .strings(annotations)]),
        "spec": .obj([
          "serviceAccountName": .string(serviceAccountName), "automountServiceAccountToken": false,
          "imagePullSecrets": pullSecrets, "containers": .array([container]),
        ]),
      ]),
    ])
  }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
}
