import AsyncHTTPClient
import BerthGateway
import BerthTesting
import Foundation
import NIOCore
import NIOHTTP1

/// A real gateway on a free loopback port, its configuration and key files in a scratch folder, and a client.
final class GatewayFixture: @unchecked Sendable {
  let folder: String
  let configurationPath: String
  let keysPath: String
  let signingKeyPath: String
  let server: GatewayServer
  let client: HTTPClient
  private(set) var keys: EndpointKeys
  var configuration: GatewayConfiguration

  /// Writes `configuration` (its key file paths filled in) and starts a gateway that watches it.
  init(_ configure: (inout GatewayConfiguration) -> Void) async throws {
    folder = NSTemporaryDirectory() + "berth-gateway-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    configurationPath = folder + "/gateway.json"
    keysPath = folder + "/keys.json"
    signingKeyPath = folder + "/token.key"
    keys = EndpointKeys.generate()
    try SecretFiles.writeKeys(keys, to: keysPath)
    try SecretFiles.writeNewSigningKey(to: signingKeyPath)
    var configuration = GatewayConfiguration(
      endpoint: "risk", port: 0, authMode: .key, keysFile: keysPath, tokenSigningKeyFile: signingKeyPath,
      deployments: [], traffic: [:], reloadIntervalMs: 50)
    configure(&configuration)
    self.configuration = configuration
    try Self.write(configuration, to: configurationPath)
    server = try await GatewayServer.start(
      try LoadedConfiguration.load(path: configurationPath), configurationPath: configurationPath)
    var clientConfiguration = HTTPClient.Configuration()
    clientConfiguration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 32)
    client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
  }

  static func write(_ configuration: GatewayConfiguration, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let temporary = path + ".tmp"
    try encoder.encode(configuration).write(to: URL(fileURLWithPath: temporary))
    guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
  }

  /// Rewrites the configuration file and waits until the gateway serves it.
  func reconfigure(_ change: (inout GatewayConfiguration) -> Void) throws {
    change(&configuration)
    try Self.write(configuration, to: configurationPath)
    try waitForReload { $0.configuration == self.configuration }
  }

  /// Replaces the keys file and waits until the gateway uses the new keys.
  func rotateKeys(_ change: (inout EndpointKeys) -> Void) throws {
    change(&keys)
    try SecretFiles.writeKeys(keys, to: keysPath)
    try waitForReload { $0.authorization.keys == self.keys }
  }

  private func waitForReload(_ done: (LoadedConfiguration) -> Bool) throws {
    for _ in 0..<200 {
      if done(server.gateway.configuration) { return }
      Thread.sleep(forTimeInterval: 0.02)
    }
    throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the gateway did not reload"])
  }

  var baseURL: String { "http://127.0.0.1:\(server.boundPort)" }

  /// One request; the answer's status, headers and body text.
  func send(
    _ path: String = "/score", method: HTTPMethod = .POST, body: String = #"{"data": [1]}"#,
    bearer: String? = nil, headers: [(String, String)] = [], timeout: TimeAmount = .seconds(30)
  ) async throws -> (status: Int, headers: HTTPHeaders, text: String) {
    var request = HTTPClientRequest(url: baseURL + path)
    request.method = method
    request.headers.add(name: "content-type", value: "application/json")
    if let bearer { request.headers.add(name: "authorization", value: "Bearer \(bearer)") }
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if method == .POST { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await client.execute(request, timeout: timeout)
    let bytes = try await response.body.collect(upTo: 10 << 20)
    return (Int(response.status.code), response.headers, String(buffer: bytes))
  }

  /// `count` scoring requests, `concurrency` at a time; the deployment each answer names (or `status N`).
  func load(
    _ count: Int, concurrency: Int = 16, bearer: String? = nil, headers: [(String, String)] = []
  ) async -> [String: Int] {
    await withTaskGroup(of: [String: Int].self) { group in
      let perWorker = count / concurrency
      for worker in 0..<concurrency {
        let share = perWorker + (worker < count % concurrency ? 1 : 0)
        group.addTask {
          var seen: [String: Int] = [:]
          for _ in 0..<share {
            do {
              let answer = try await self.send(bearer: bearer ?? self.keys.primaryKey, headers: headers)
              seen[answer.status == 200 ? Self.deployment(in: answer.text) : "status \(answer.status)", default: 0] += 1
            } catch {
              seen["error \(error)", default: 0] += 1
            }
          }
          return seen
        }
      }
      return await group.reduce(into: [:]) { total, part in total.merge(part, uniquingKeysWith: +) }
    }
  }

  static func deployment(in text: String) -> String {
    guard let data = text.data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let name = object["deployment"] as? String
    else { return "unexpected body \(text)" }
    return name
  }

  func stop() async {
    try? await client.shutdown()
    await server.stop()
    try? FileManager.default.removeItem(atPath: folder)
  }
}

extension GatewayConfiguration.Deployment {
  /// A deployment in front of one trivial upstream.
  static func on(_ upstream: StaticUpstream, concurrency: Int = 64, waitMs: Int = 5000, timeoutMs: Int = 10000)
    -> Self
  {
    Self(
      name: upstream.name, upstreams: [upstream.address], replicaMaxConcurrentRequests: concurrency,
      maxRequestWaitTimeMs: waitMs, scoringTimeoutMs: timeoutMs)
  }
}
