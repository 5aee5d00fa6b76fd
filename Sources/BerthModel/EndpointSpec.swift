/// How callers of an endpoint prove who they are (Azure ML CLI v2's `auth_mode`).
public enum EndpointAuthMode: String, Hashable, Sendable, CaseIterable, Codable {
  /// `Authorization: Bearer KEY`, a primary and a secondary key.
  case key
  /// Short-lived signed tokens that `berth` issues.
  case amlToken = "aml_token"
  /// No check: anyone who reaches the endpoint may score.
  case none
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

  public init(
    computeTarget: String, authMode: EndpointAuthMode = .key, traffic: [String: Int] = [:],
    mirrorTraffic: [String: Int] = [:], port: Int? = nil, listenAddress: String? = nil, description: String? = nil
  ) {
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
