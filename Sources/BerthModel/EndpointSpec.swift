/// How callers of an endpoint prove who they are (Azure ML CLI v2's `auth_mode`).
public enum EndpointAuthMode: String, Hashable, Sendable, CaseIterable, Codable {
  /// `Authorization: Bearer KEY`, a primary and a secondary key.
  case key
  /// Short-lived signed tokens that `berth` issues.
  case amlToken = "aml_token"
  /// No check: anyone who reaches the endpoint may score.
  case none
}

/// How a Kubernetes endpoint is reached: inside the cluster only, through a cloud load balancer, or an Ingress.
public enum EndpointExposure: String, Hashable, Sendable, CaseIterable, Codable {
  case cluster
  case loadBalancer = "load_balancer"
  case ingress
}

/// The settings of an endpoint served in a cluster (`kubernetes` / `aks` targets); nil fields take the compute
/// target's default, then Berth's.
public struct ClusterEndpointSettings: Hashable, Sendable {
  public var exposure: EndpointExposure?
  public var ingressClass: String?
  /// The external host name (`ingress`; optional for `load_balancer`).
  public var host: String?
  /// A `kubernetes.io/tls` Secret that already holds the certificate.
  public var tlsSecret: String?
  /// Environment variables holding PEM text; Berth creates the TLS Secret from them.
  public var tlsCertEnv: String?
  public var tlsKeyEnv: String?
  /// The gateway image (by digest), from `berth gateway-image` or a registry.
  public var gatewayImage: String?
  public var gatewayReplicas: Int?

  public init(
    exposure: EndpointExposure? = nil, ingressClass: String? = nil, host: String? = nil, tlsSecret: String? = nil,
    tlsCertEnv: String? = nil, tlsKeyEnv: String? = nil, gatewayImage: String? = nil, gatewayReplicas: Int? = nil
  ) {
    self.exposure = exposure
    self.ingressClass = ingressClass
    self.host = host
    self.tlsSecret = tlsSecret
    self.tlsCertEnv = tlsCertEnv
    self.tlsKeyEnv = tlsKeyEnv
    self.gatewayImage = gatewayImage
    self.gatewayReplicas = gatewayReplicas
  }
}

/// A stable scoring address in front of one or more services (its deployments), with a traffic split.
///
/// Azure ML CLI v2's online endpoint in Berth's envelope. Services join an endpoint with
/// `Service.spec.endpoint`; `traffic` and `mirror_traffic` name them.
public struct EndpointSpec: Hashable, Sendable {
  public static let defaultListenAddress = "127.0.0.1"

  public var computeTarget: String
  public var authMode: EndpointAuthMode
  /// Percent of live requests per service; sums to 100, or every value is 0 (no live traffic yet).
  public var traffic: [String: Int]
  /// Percent of live requests copied to a service whose answers are discarded.
  public var mirrorTraffic: [String: Int]
  /// `local` only: the port the endpoint listens on; nil lets the target choose.
  public var port: Int?
  /// `local` only: as written; nil means `defaultListenAddress`.
  public var listenAddress: String?
  public var description: String?
  /// Kubernetes targets only.
  public var cluster: ClusterEndpointSettings

  public init(
    computeTarget: String, authMode: EndpointAuthMode = .key, traffic: [String: Int] = [:],
    mirrorTraffic: [String: Int] = [:], port: Int? = nil, listenAddress: String? = nil, description: String? = nil,
    cluster: ClusterEndpointSettings = ClusterEndpointSettings()
  ) {
    self.cluster = cluster
    self.computeTarget = computeTarget
    self.authMode = authMode
    self.traffic = traffic
    self.mirrorTraffic = mirrorTraffic
    self.port = port
    self.listenAddress = listenAddress
    self.description = description
  }

  /// The address the endpoint listens on once defaults apply.
  public var effectiveListenAddress: String { listenAddress ?? Self.defaultListenAddress }

  /// Every service the endpoint names, live or mirrored, sorted.
  public var services: [String] { Set(traffic.keys).union(mirrorTraffic.keys).sorted() }
}
