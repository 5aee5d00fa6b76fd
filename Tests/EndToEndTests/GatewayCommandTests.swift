import BerthTargetLocal
import BerthTesting
import Foundation
import Testing

/// `berth gateway` as a user (or a target) runs it: keys, serving, rotation by file, SIGTERM, bad configs.
@Suite(.timeLimit(.minutes(5))) struct GatewayCommandTests {
  @Test func keysServeRotateAndStop() async throws {
    let folder = try ScratchDirectory("berth-gateway-cli")
    let upstream = try await StaticUpstream(name: "blue")
    let configuration = """
      {"endpoint": "risk", "port": 0, "keys_file": "\(folder.path)/keys.json", "reload_interval_ms": 50,
       "listening_file": "\(folder.path)/listening.json",
       "deployments": [{"name": "blue", "upstreams": ["\(upstream.address)"]}], "traffic": {"blue": 100}}
      """
    try configuration.write(toFile: folder.path + "/gateway.json", atomically: true, encoding: .utf8)
    let created = try BerthProcess.run(["gateway", "keys", "--config", "gateway.json"], in: folder.path)
    #expect(created.status == 0, "\(created.output)")
    let keys = try readKeys(folder.path + "/keys.json")
    #expect(!created.output.contains(keys.primary) && !created.output.contains(keys.secondary))
    let mode = try FileManager.default.attributesOfItem(atPath: folder.path + "/keys.json")[.posixPermissions] as? Int
    #expect(mode == 0o600)

    let server = try BerthProcess.start(["gateway", "--config", "gateway.json"], in: folder.path)
    let port = try await listeningPort(folder.path + "/listening.json")
    let client = LoopbackClient(port: port)
    #expect(try client.score(key: nil) == 401)
    #expect(try client.score(key: keys.primary) == 200)
    #expect(try client.score(key: keys.secondary) == 200)

    let rotated = try BerthProcess.run(
      ["gateway", "keys", "--config", "gateway.json", "--regenerate", "primary"], in: folder.path)
    #expect(rotated.status == 0, "\(rotated.output)")
    let newKeys = try readKeys(folder.path + "/keys.json")
    #expect(newKeys.primary != keys.primary && newKeys.secondary == keys.secondary)
    var refused = false
    for _ in 0..<100 where !refused {
      refused = try client.score(key: keys.primary) == 401
      if !refused { try await Task.sleep(for: .milliseconds(20)) }
    }
    #expect(refused)
    #expect(try client.score(key: newKeys.primary) == 200)
    #expect(try client.score(key: keys.secondary) == 200)

    server.terminate()
    server.waitUntilExit()
    #expect(server.terminationStatus == 0)
    let stderr = String(decoding: (server.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(stderr.contains("listening on 127.0.0.1:\(port)"))
    #expect(!stderr.contains(keys.primary) && !stderr.contains(newKeys.primary))
    await upstream.stop()
  }

  @Test func tokenCommandIssuesATokenTheGatewayAccepts() async throws {
    let folder = try ScratchDirectory("berth-gateway-cli")
    let upstream = try await StaticUpstream(name: "blue")
    try """
    {"endpoint": "risk", "port": 0, "auth_mode": "aml_token", "token_signing_key_file": "\(folder.path)/token.key",
     "listening_file": "\(folder.path)/listening.json",
     "deployments": [{"name": "blue", "upstreams": ["\(upstream.address)"]}], "traffic": {"blue": 100}}
    """.write(toFile: folder.path + "/gateway.json", atomically: true, encoding: .utf8)
    let signing = try BerthProcess.run(
      ["gateway", "keys", "--config", "gateway.json", "--regenerate", "signing"], in: folder.path)
    #expect(signing.status == 0, "\(signing.output)")
    let issued = try BerthProcess.run(["gateway", "token", "--config", "gateway.json", "--json"], in: folder.path)
    #expect(issued.status == 0, "\(issued.output)")
    let object = try JSONSerialization.jsonObject(with: Data(issued.stdout.utf8)) as? [String: String]
    let token = try #require(object?["accessToken"])
    #expect(object?["tokenType"] == "Bearer")
    #expect(object?["expiryTimeUtc"] != nil && object?["refreshAfterTimeUtc"] != nil)

    let server = try BerthProcess.start(["gateway", "--config", "gateway.json"], in: folder.path)
    let client = LoopbackClient(port: try await listeningPort(folder.path + "/listening.json"))
    #expect(try client.score(key: token) == 200)
    #expect(try client.score(key: token + "x") == 401)
    let badLifetime = try BerthProcess.run(["gateway", "token", "--config", "gateway.json", "--lifetime", "0"], in: folder.path)
    #expect(badLifetime.status != 0)
    server.terminate()
    server.waitUntilExit()
    await upstream.stop()
  }

  @Test func aBrokenConfigurationListsEveryProblem() throws {
    let folder = try ScratchDirectory("berth-gateway-cli")
    try """
    {"endpoint": "risk", "port": 8890, "auth_mode": "key",
     "deployments": [{"name": "blue", "upstreams": ["nowhere"]}], "traffic": {"blue": 60, "green": 30}}
    """.write(toFile: folder.path + "/gateway.json", atomically: true, encoding: .utf8)
    let result = try BerthProcess.run(["gateway", "--config", "gateway.json"], in: folder.path)
    #expect(result.status == 1)
    #expect(
      result.stderr == """
        error: gateway.json: deployments[0] (blue).upstreams: 'nowhere' is not host:port
        error: gateway.json: traffic: unknown deployment 'green'
        error: gateway.json: traffic: percentages sum to 90, not 100 (or all 0)
        error: gateway.json: keys_file: required when auth_mode is 'key' (or keys_env)

        """)
  }

  func readKeys(_ path: String) throws -> (primary: String, secondary: String) {
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: String]
    return (object?["primary_key"] ?? "", object?["secondary_key"] ?? "")
  }

  func listeningPort(_ path: String) async throws -> Int {
    for _ in 0..<500 {
      if let data = FileManager.default.contents(atPath: path),
        let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let port = object["port"] as? Int
      {
        return port
      }
      try await Task.sleep(for: .milliseconds(20))
    }
    throw CocoaError(.fileReadNoSuchFile)
  }
}

/// One POST /score per call, over a new connection each time.
struct LoopbackClient {
  var port: Int

  func score(key: String?) throws -> Int {
    let headers = key.map { ["Authorization": "Bearer \($0)"] } ?? [:]
    return try LoopbackHTTPClient(timeout: .seconds(10)).postJSON(port: port, body: #"{"data": [1]}"#, headers: headers)
      .status
  }
}
