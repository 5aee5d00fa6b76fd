import BerthGateway
import BerthModel
import BerthTargetAPI
import Foundation

/// Turns an endpoint into the Kubernetes objects of its gateway. Pure: values in, values out.
///
/// Objects, in apply order: routes ConfigMap, gateway Deployment, its PodDisruptionBudget, its Service
/// (ClusterIP or LoadBalancer), the Ingress (`exposure: ingress`) and, when callers must authenticate, a
/// NetworkPolicy that lets only the gateway's pods reach the endpoint's scoring pods. The Secrets (keys,
/// TLS from PEM variables) carry credentials and are rendered by `EndpointSecrets`.
public enum EndpointRenderer {
  public static let endpointLabel = "berth.dev/endpoint"
  public static let componentLabel = "app.kubernetes.io/component"
  /// A member service's gateway entry, as JSON, on its Kubernetes Service.
  public static let gatewayDeploymentAnnotation = "berth.dev/gateway-deployment"
  /// The endpoint's definition (auth mode, traffic), as JSON, on the routes ConfigMap.
  public static let definitionAnnotation = "berth.dev/endpoint-definition"
  public static let gatewayContainer = "gateway"
  public static let gatewayPort = 8080
  static let configFolder = "/etc/berth-gateway"
  static let routesFile = "gateway.json"

  /// The endpoint as the gateway objects need it: the manifest's settings with the compute target's defaults.
  public struct Definition: Hashable, Sendable, Codable {
    public var name: String
    public var authMode: EndpointAuthMode
    public var traffic: [String: Int]
    public var mirrorTraffic: [String: Int]
    public var exposure: EndpointExposure
    public var ingressClass: String?
    public var host: String?
    public var tlsSecret: String?
    /// True when Berth creates the TLS Secret from `tls_cert_env` / `tls_key_env`.
    public var tlsFromEnvironment: Bool
    public var gatewayImage: String
    public var replicas: Int

    public init(_ endpoint: EndpointDeployment) {
      let cluster = endpoint.spec.cluster
      let defaults = endpoint.computeTarget.settings
      func text(_ key: String) -> String? {
        if case .string(let value)? = defaults[key] { return value }
        return nil
      }
      name = endpoint.name
      authMode = endpoint.spec.authMode
      traffic = endpoint.spec.traffic
      mirrorTraffic = endpoint.spec.mirrorTraffic
      exposure = cluster.exposure ?? text("exposure").flatMap(EndpointExposure.init(rawValue:)) ?? .cluster
      ingressClass = cluster.ingressClass
      host = cluster.host
      tlsFromEnvironment = cluster.tlsCertEnv != nil
      tlsSecret = cluster.tlsSecret ?? (tlsFromEnvironment ? EndpointRenderer.name(endpoint.name, "tls") : nil)
      gatewayImage = cluster.gatewayImage ?? text("gateway_image") ?? endpoint.gatewayImage?.reference ?? ""
      replicas = max(2, cluster.gatewayReplicas ?? 2)
    }
  }

  /// `<endpoint>-<suffix>`, shortened with a stable hash when longer than a DNS label allows.
  public static func name(_ endpoint: String, _ suffix: String) -> String {
    let full = "\(endpoint)-\(suffix)"
    guard full.count > 63 else { return full }
    var hash: UInt32 = 2_166_136_261
    for byte in full.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
    let tag = String(hash, radix: 16)
    return String(endpoint.prefix(62 - suffix.count - tag.count - 1)) + "-\(tag)-\(suffix)"
  }

  public static func gatewayName(_ endpoint: String) -> String { name(endpoint, "gateway") }
  public static func routesName(_ endpoint: String) -> String { name(endpoint, "routes") }
  public static func keysName(_ endpoint: String) -> String { name(endpoint, "keys") }

  /// The labels of the gateway's objects and pods.
  static func labels(_ endpoint: String) -> [String: String] {
    [
      KubernetesRenderer.nameLabel: gatewayName(endpoint), "app.kubernetes.io/instance": endpoint,
      componentLabel: "gateway", endpointLabel: endpoint, KubernetesRenderer.managedByLabel: KubernetesRenderer.managedBy,
    ]
  }

  static func selector(_ endpoint: String) -> [String: String] {
    [KubernetesRenderer.nameLabel: gatewayName(endpoint), KubernetesRenderer.managedByLabel: KubernetesRenderer.managedBy]
  }

  /// The gateway configuration for `definition` and the member deployments that run (their Services exist).
  public static func routes(_ definition: Definition, members: [GatewayConfiguration.Deployment])
    -> GatewayConfiguration
  {
    let running = Set(members.map(\.name))
    let traffic = TrafficShares.renormalized(definition.traffic.filter { running.contains($0.key) })
    let mirror = definition.mirrorTraffic.filter { running.contains($0.key) && (traffic[$0.key] ?? 0) == 0 }
    let mode: AuthMode =
      switch definition.authMode {
      case .key: .key
      case .amlToken: .amlToken
      case .none: .none
      }
    return GatewayConfiguration(
      endpoint: definition.name, listenAddress: "0.0.0.0", port: gatewayPort, authMode: mode,
      keysFile: mode == .key ? "\(configFolder)/keys/keys.json" : nil,
      tokenSigningKeyFile: mode == .amlToken ? "\(configFolder)/keys/token.key" : nil,
      deployments: members.sorted { $0.name < $1.name }, traffic: traffic, mirrorTraffic: mirror,
      reloadIntervalMs: 1000)
  }

  /// The JSON text of `configuration`, stable (sorted keys) so an unchanged route table is an unchanged ConfigMap.
  public static func routesText(_ configuration: GatewayConfiguration) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(configuration)) ?? Data(), as: UTF8.self) + "\n"
  }

  /// The objects of the endpoint's gateway in `namespace`.
  /// The routes ConfigMap: the gateway's `gateway.json`, and the definition it was composed from.
  public static func routesConfigMap(_ definition: Definition, routes: GatewayConfiguration, namespace: String)
    -> JSONValue
  {
    let definitionText = String(decoding: (try? Self.sortedEncoder.encode(definition)) ?? Data(), as: UTF8.self)
    return .obj([
      "apiVersion": "v1", "kind": "ConfigMap",
      "metadata": .obj([
        "name": .string(routesName(definition.name)), "namespace": .string(namespace),
        "labels": .strings(labels(definition.name)), "annotations": .strings([definitionAnnotation: definitionText]),
      ]),
      "data": .object([JSONValue.Member(routesFile, .string(routesText(routes)))]),
    ])
  }

  public static func render(
    _ definition: Definition, routes: GatewayConfiguration, namespace: String, pullSecret: String? = nil
  ) -> [JSONValue] {
    let endpoint = definition.name
    let labels = labels(endpoint)
    func metadata(_ name: String) -> JSONValue {
      .obj(["name": .string(name), "namespace": .string(namespace), "labels": .strings(labels)])
    }
    var objects: [JSONValue] = [
      routesConfigMap(definition, routes: routes, namespace: namespace),
      .obj([
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata(gatewayName(endpoint)),
        "spec": deploymentSpec(definition, labels: labels, pullSecret: pullSecret),
      ]),
      .obj([
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": metadata(gatewayName(endpoint)),
        "spec": .obj(["minAvailable": 1, "selector": .obj(["matchLabels": .strings(selector(endpoint))])]),
      ]),
      .obj([
        "apiVersion": "v1", "kind": "Service", "metadata": metadata(gatewayName(endpoint)),
        "spec": .obj([
          "type": .string(definition.exposure == .loadBalancer ? "LoadBalancer" : "ClusterIP"),
          "selector": .strings(selector(endpoint)),
          "ports": .array([.obj(["name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"])]),
        ]),
      ]),
    ]
    if definition.exposure == .ingress, let host = definition.host {
      let tls: JSONValue? = definition.tlsSecret.map {
        .array([.obj(["hosts": .array([.string(host)]), "secretName": .string($0)])])
      }
      objects.append(
        .obj([
          "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": metadata(gatewayName(endpoint)),
          "spec": .obj([
            "ingressClassName": definition.ingressClass.map { .string($0) }, "tls": tls,
            "rules": .array([
              .obj([
                "host": .string(host),
                "http": .obj([
                  "paths": .array([
                    .obj([
                      "path": "/", "pathType": "Prefix",
                      "backend": .obj([
                        "service": .obj(["name": .string(gatewayName(endpoint)), "port": .obj(["name": "http"])])
                      ]),
                    ])
                  ])
                ]),
              ])
            ]),
          ]),
        ]))
    }
    if definition.authMode != .none {
      objects.append(
        .obj([
          "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata(name(endpoint, "scoring")),
          "spec": .obj([
            "podSelector": .obj([
              "matchLabels": .strings([endpointLabel: endpoint, componentLabel: "scoring"])
            ]),
            "policyTypes": .array(["Ingress"]),
            "ingress": .array([
              .obj([
                "from": .array([
                  .obj(["podSelector": .obj(["matchLabels": .strings([endpointLabel: endpoint, componentLabel: "gateway"])])])
                ]),
                "ports": .array([.obj(["port": "http", "protocol": "TCP"])]),
              ])
            ]),
          ]),
        ]))
    }
    return objects
  }

  static let sortedEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }()

  private static func deploymentSpec(_ definition: Definition, labels: [String: String], pullSecret: String?)
    -> JSONValue
  {
    let endpoint = definition.name
    let probe: JSONValue = .obj([
      "httpGet": .obj(["path": "/", "port": "http"]), "periodSeconds": 10, "timeoutSeconds": 2, "failureThreshold": 3,
    ])
    let container: JSONValue = .obj([
      "name": .string(gatewayContainer), "image": .string(definition.gatewayImage), "imagePullPolicy": "IfNotPresent",
      "args": .array(["gateway", "--config", .string("\(configFolder)/routes/\(routesFile)")]),
      "ports": .array([.obj(["name": "http", "containerPort": .int(gatewayPort), "protocol": "TCP"])]),
      "resources": .obj([
        "requests": .obj(["cpu": "100m", "memory": "64Mi"]), "limits": .obj(["memory": "256Mi"]),
      ]),
      "readinessProbe": probe, "livenessProbe": probe,
      // Root without capabilities: the key files are mode 0400 and owned by root, as the gateway requires.
      "securityContext": .obj([
        "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
        "capabilities": .obj(["drop": .array(["ALL"])]),
      ]),
      "volumeMounts": .array([
        .obj(["name": "routes", "mountPath": .string("\(configFolder)/routes"), "readOnly": true]),
        .obj(["name": "keys", "mountPath": .string("\(configFolder)/keys"), "readOnly": true]),
      ]),
    ])
    return .obj([
      "replicas": .int(definition.replicas),
      "revisionHistoryLimit": 5,
      "selector": .obj(["matchLabels": .strings(selector(endpoint))]),
      "strategy": .obj(["type": "RollingUpdate", "rollingUpdate": .obj(["maxUnavailable": 0, "maxSurge": 1])]),
      "template": .obj([
        "metadata": .obj(["labels": .strings(labels)]),
        "spec": .obj([
          "automountServiceAccountToken": false,
          "imagePullSecrets": pullSecret.map { .array([.obj(["name": .string($0)])]) },
          "containers": .array([container]),
          "volumes": .array([
            .obj(["name": "routes", "configMap": .obj(["name": .string(routesName(endpoint))])]),
            .obj(["name": "keys", "secret": .obj(["secretName": .string(keysName(endpoint)), "defaultMode": 0o400])]),
          ]),
          "affinity": .obj([
            "podAntiAffinity": .obj([
              "preferredDuringSchedulingIgnoredDuringExecution": .array([
                .obj([
                  "weight": 100,
                  "podAffinityTerm": .obj([
                    "topologyKey": "kubernetes.io/hostname",
                    "labelSelector": .obj(["matchLabels": .strings(selector(endpoint))]),
                  ]),
                ])
              ])
            ])
          ]),
        ]),
      ]),
    ])
  }
}
