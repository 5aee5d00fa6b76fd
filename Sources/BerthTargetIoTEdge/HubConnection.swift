import BerthModel
import Foundation

/// Where an `iotedge` compute target's hub is and how to sign requests to it, from the compute target's settings
/// and the IoT Hub connection string in the variable `connection_string_env` names.
///
/// The connection string (`HostName=…;SharedAccessKeyName=…;SharedAccessKey=…`) stays in memory: errors name the
/// variable, never its value, and `description` hides the key.
public struct HubConnection: Sendable, Hashable, CustomStringConvertible {
  /// The hub's host name (`myhub.azure-devices.net`): the SAS token's resource.
  public var hostName: String
  /// Where requests go: `https://<hostName>`, or `iot_hub_host` when set (plain http only on a loopback address).
  public var baseURL: String
  public var policyName: String
  /// The policy's key, base64 as the portal shows it.
  var key: String

  /// The compute target settings recorded with each service, so that a delete finds the hub without the manifests.
  public static let settingKeys = ["iot_hub", "connection_string_env", "iot_hub_host", "store_and_forward_ttl"]
  /// The variable named when a compute target names none.
  public static let defaultConnectionStringEnv = "IOTHUB_CONNECTION_STRING"

  public var description: String { "IoT Hub \(hostName) (policy \(policyName)) at \(baseURL)" }

  public init(hostName: String, baseURL: String, policyName: String, key: String) {
    self.hostName = hostName
    self.baseURL = baseURL
    self.policyName = policyName
    self.key = key
  }

  /// The connection of a compute target: its variable read from `environment`, its host checked.
  public static func resolve(_ settings: [String: FieldValue], environment: [String: String]) throws -> HubConnection {
    let variable = text(settings["connection_string_env"]) ?? defaultConnectionStringEnv
    guard let value = environment[variable], !value.trimmingCharacters(in: .whitespaces).isEmpty else {
      throw IoTEdgeError.configuration(
        "the IoT Hub connection string variable $\(variable) is not set (connection_string_env of the iotedge compute target)")
    }
    var parts: [String: String] = [:]
    for piece in value.split(separator: ";", omittingEmptySubsequences: true) {
      guard let equals = piece.firstIndex(of: "=") else {
        throw IoTEdgeError.configuration(
          "$\(variable) is not an IoT Hub connection string: expected HostName=…;SharedAccessKeyName=…;SharedAccessKey=…")
      }
      let name = piece[..<equals].trimmingCharacters(in: .whitespaces)
      parts[name] = String(piece[piece.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
    }
    var missing: [String] = []
    for name in ["HostName", "SharedAccessKeyName", "SharedAccessKey"] where (parts[name] ?? "").isEmpty {
      missing.append(name)
    }
    guard missing.isEmpty, let host = parts["HostName"], let policy = parts["SharedAccessKeyName"],
      let key = parts["SharedAccessKey"]
    else {
      throw IoTEdgeError.configuration(
        "$\(variable) is not an IoT Hub connection string: it has no \(missing.joined(separator: ", ")) (expected HostName=…;SharedAccessKeyName=…;SharedAccessKey=…)"
      )
    }
    guard Data(base64Encoded: key) != nil else {
      throw IoTEdgeError.configuration("the SharedAccessKey in $\(variable) is not base64")
    }
    if let hub = text(settings["iot_hub"]), host.lowercased() != "\(hub.lowercased()).azure-devices.net",
      host.split(separator: ".").first.map({ String($0).lowercased() }) != hub.lowercased()
    {
      throw IoTEdgeError.configuration(
        "the connection string in $\(variable) is for hub \(host), but the compute target names iot_hub '\(hub)'")
    }
    let base = try baseURL(override: text(settings["iot_hub_host"]), hostName: host)
    return HubConnection(hostName: host, baseURL: base, policyName: policy, key: key)
  }

  /// `https://<host>` by default; `iot_hub_host` may name another host (a private endpoint, a test double) and may
  /// use plain http only on a loopback address.
  static func baseURL(override: String?, hostName: String) throws -> String {
    guard let override, !override.isEmpty else { return "https://\(hostName)" }
    let url = override.contains("://") ? override : "https://\(override)"
    guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
      let host = components.host, !host.isEmpty, components.path.isEmpty || components.path == "/"
    else {
      throw IoTEdgeError.configuration("iot_hub_host '\(override)' is not a host name or an http(s) URL without a path")
    }
    switch scheme {
    case "https": break
    case "http":
      guard ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host.lowercased()) else {
        throw IoTEdgeError.configuration(
          "iot_hub_host '\(override)' uses plain http on a host that is not loopback; use https (the SAS token would travel in clear)"
        )
      }
    default:
      throw IoTEdgeError.configuration("iot_hub_host '\(override)' must use https (or http on a loopback address)")
    }
    return url.hasSuffix("/") ? String(url.dropLast()) : url
  }

  static func text(_ value: FieldValue?) -> String? {
    if case .string(let text)? = value, !text.isEmpty { return text }
    return nil
  }
}
