import AsyncHTTPClient
import BerthModel
import Foundation
import NIOCore
import NIOHTTP1

/// A small client of IoT Hub's service REST API: apply configuration content to an edge device, read a module twin.
///
/// Every request carries a fresh SAS token in `Authorization`; the token and the key never appear in errors.
public struct IoTHubClient: Sendable {
  public let connection: HubConnection
  private let http: HTTPClient
  /// The REST API version sent with every request (`applyConfigurationContent`, twins).
  public static let apiVersion = "2021-04-12"
  /// How long each SAS token is valid.
  public var tokenLifetime: Int = 3600
  public var requestTimeout: TimeAmount = .seconds(30)

  public init(_ connection: HubConnection) {
    self.connection = connection
    var configuration = HTTPClient.Configuration()
    configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
    configuration.connectionPool.retryConnectionEstablishment = false
    http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
  }

  public func shutdown() async {
    try? await http.shutdown()
  }

  /// `POST /devices/{id}/applyConfigurationContent`: replaces the device's deployment with `content`
  /// (`{"modulesContent": …}`).
  public func applyConfigurationContent(deviceID: String, content: JSONValue) async throws {
    _ = try await send(
      .POST, "/devices/\(Self.segment(deviceID))/applyConfigurationContent", body: EdgeJSON.compact(content),
      what: "apply the deployment manifest of device '\(deviceID)'", secrets: Self.credentials(in: content))
  }

  /// The registry user names and passwords a manifest carries: an error the hub answers with must not repeat them.
  static func credentials(in content: JSONValue) -> [String] {
    let path = #"modulesContent["$edgeAgent"]["properties.desired"].runtime.settings.registryCredentials"#
    return (content.value(at: path)?.objectMembers ?? []).flatMap { entry in
      ["username", "password"].compactMap { entry.value[$0]?.stringValue }.filter { !$0.isEmpty }
    }
  }

  /// `text` with every secret replaced by `****`.
  static func redacted(_ text: String, _ secrets: [String]) -> String {
    secrets.filter { $0.count >= 3 }.sorted { $0.count > $1.count }.reduce(text) {
      $0.replacingOccurrences(of: $1, with: "****")
    }
  }

  /// `GET /twins/{id}/modules/{moduleId}`: the module twin, or nil when the device or module does not exist.
  public func moduleTwin(deviceID: String, moduleID: String) async throws -> JSONValue? {
    do {
      let data = try await send(
        .GET, "/twins/\(Self.segment(deviceID))/modules/\(Self.segment(moduleID))",
        what: "read the \(moduleID) twin of device '\(deviceID)'")
      return try JSONValue.parse(data)
    } catch IoTEdgeError.hub(let code, _) where code == 404 {
      return nil
    }
  }

  static func segment(_ text: String) -> String { SASToken.urlEncoded(text) }

  private func send(_ method: HTTPMethod, _ path: String, body: String? = nil, what: String, secrets: [String] = [])
    async throws -> Data
  {
    let expiry = Int(Date().timeIntervalSince1970) + tokenLifetime
    let token = try SASToken.make(
      resource: connection.hostName, key: connection.key, policyName: connection.policyName, expiry: expiry)
    var request = HTTPClientRequest(url: connection.baseURL + path + "?api-version=" + Self.apiVersion)
    request.method = method
    request.headers.add(name: "Authorization", value: token)
    request.headers.add(name: "Accept", value: "application/json")
    request.headers.add(name: "User-Agent", value: "berth")
    if let body {
      request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
      request.body = .bytes(ByteBuffer(string: body))
    }
    let response: HTTPClientResponse
    let data: Data
    do {
      response = try await http.execute(request, timeout: requestTimeout)
      data = Data(try await response.body.collect(upTo: 16 << 20).readableBytesView)
    } catch {
      throw IoTEdgeError.transport("cannot \(what) at \(connection.baseURL): \(error)")
    }
    guard (200..<300).contains(response.status.code) else {
      let text = Self.redacted(Self.errorText(data), secrets + [connection.key, token])
      throw IoTEdgeError.hub(code: Int(response.status.code), message: "cannot \(what): " + text)
    }
    return data
  }

  /// The hub's error text: `Message` (often `ErrorCode:…;…`) and `ExceptionMessage` when the body is JSON.
  static func errorText(_ data: Data) -> String {
    if let body = try? JSONValue.parse(data) {
      let parts = [body["Message"]?.stringValue, body["ExceptionMessage"]?.stringValue].compactMap { $0 }
      if !parts.isEmpty { return parts.joined(separator: " ") }
    }
    return String(decoding: data.prefix(500), as: UTF8.self)
  }
}
