import BerthGateway
import BerthModel

/// What an endpoint declares, as the local target keeps it in `endpoint.json`: everything of the gateway's
/// configuration that does not come from its deployments.
///
/// A service with its own address has one too, written by its rollout: an endpoint of one deployment at 100 %.
public struct EndpointDefinition: Codable, Sendable, Hashable {
  public var name: String
  public var authMode: AuthMode
  public var traffic: [String: Int]
  public var mirrorTraffic: [String: Int]
  public var listenAddress: String
  public var port: Int

  public init(
    name: String, authMode: AuthMode, traffic: [String: Int], mirrorTraffic: [String: Int] = [:],
    listenAddress: String = EndpointSpec.defaultListenAddress, port: Int
  ) {
    self.name = name
    self.authMode = authMode
    self.traffic = traffic
    self.mirrorTraffic = mirrorTraffic
    self.listenAddress = listenAddress
    self.port = port
  }

  enum CodingKeys: String, CodingKey {
    case name, traffic, port
    case authMode = "auth_mode"
    case mirrorTraffic = "mirror_traffic"
    case listenAddress = "listen_address"
  }

  /// The gateway's auth mode for an Endpoint's.
  static func authMode(_ mode: EndpointAuthMode) -> AuthMode {
    switch mode {
    case .key: .key
    case .amlToken: .amlToken
    case .none: .none
    }
  }

  /// The host part of the scoring URI: `localhost` for loopback and wildcard addresses, else the address.
  var uriHost: String {
    switch listenAddress {
    case "127.0.0.1", "0.0.0.0", "localhost", "::", "::1": "localhost"
    default: listenAddress.contains(":") ? "[\(listenAddress)]" : listenAddress
    }
  }

  /// The address a client on this machine connects to.
  var connectAddress: String {
    switch listenAddress {
    case "0.0.0.0", "localhost": "127.0.0.1"
    case "::": "::1"
    default: listenAddress
    }
  }

  /// `http://localhost:8890/score`.
  public var scoringURI: String { "http://\(uriHost):\(port)/score" }
  /// `http://localhost:8890/swagger.json`.
  public var swaggerURI: String { "http://\(uriHost):\(port)/swagger.json" }
}
