import AsyncHTTPClient
import BerthGateway
import Foundation
import NIOCore
import Testing

@testable import BerthTargetLocal

/// The gateway in front of real `azmlinfsrv` processes: split, key auth, model errors, limits and timeouts.
@Suite(.serialized, .timeLimit(.minutes(20))) final class GatewayScoringTests: @unchecked Sendable {
  static let script = """
    import json, os, time
    def init():
        pass
    def run(raw_data):
        data = json.loads(raw_data)
        if "sleep" in data:
            time.sleep(data["sleep"])
        if data.get("fail"):
            raise ValueError("asked to fail")
        return {"deployment": os.environ["DEPLOYMENT"], "echo": data}
    """

  let controller = ScoringProcess()
  let folder: String
  var handles: [ScoringProcessHandle] = []
  let client = HTTPClient(eventLoopGroupProvider: .singleton)

  init() throws { folder = try Scratch.directory("berth-gateway-azml") }

  deinit {
    // Synchronously, so no scoring server outlives the test process.
    for handle in handles { _ = ScoringProcess.stopBlocking(processGroup: handle.processGroup, grace: .seconds(5)) }
    try? client.syncShutdown()
    try? FileManager.default.removeItem(atPath: folder)
  }

  /// Starts `azmlinfsrv` for deployment `name` with the shared environment; returns `127.0.0.1:PORT`.
  func scoringServer(_ name: String, workers: Int = 1) async throws -> String {
    let environment = try await SharedEnvironment.built()
    let root = folder + "/" + name
    try FileManager.default.createDirectory(atPath: root + "/src", withIntermediateDirectories: true)
    try Scratch.write(Self.script, to: root + "/src/score.py")
    let port = try #require(PortProbe.findFreePort())
    let handle = try controller.launch(
      ScoringLaunchRequest(
        environment: environment, sourceDirectory: root + "/src", entryScript: "score.py", port: port,
        workerCount: workers, logFile: root + "/server.log", extraEnvironment: ["DEPLOYMENT": name]))
    handles.append(handle)
    let outcome = await controller.waitUntilHealthy(port: port, pid: handle.pid, timeout: .seconds(90))
    guard case .healthy = outcome else {
      throw ScoringTestFailure(LogTail.lastLines(file: handle.logFile, count: 40).joined(separator: "\n"))
    }
    return "127.0.0.1:\(port)"
  }

  func gateway(_ deployments: [GatewayConfiguration.Deployment], traffic: [String: Int]) async throws -> (
    GatewayServer, EndpointKeys
  ) {
    let keys = EndpointKeys.generate()
    try SecretFiles.writeKeys(keys, to: folder + "/keys.json")
    let configuration = GatewayConfiguration(
      endpoint: "coef", port: 0, keysFile: folder + "/keys.json", deployments: deployments, traffic: traffic)
    return (try await GatewayServer.start(try LoadedConfiguration.prepare(configuration)), keys)
  }

  func score(_ server: GatewayServer, key: String?, body: String = #"{"data": [1]}"#) async throws -> (
    status: Int, deployment: String?, text: String
  ) {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.boundPort)/score")
    request.method = .POST
    request.headers.add(name: "content-type", value: "application/json")
    if let key { request.headers.add(name: "authorization", value: "Bearer \(key)") }
    request.body = .bytes(ByteBuffer(string: body))
    let response = try await client.execute(request, timeout: .seconds(60))
    let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
    return (Int(response.status.code), response.headers.first(name: "azureml-model-deployment"), text)
  }

  @Test func splitsTenThousandScoresNinetyTenWithKeys() async throws {
    let blue = try await scoringServer("blue", workers: 2)
    let green = try await scoringServer("green")
    let (server, keys) = try await gateway(
      [
        .init(name: "blue", upstreams: [blue], replicaMaxConcurrentRequests: 8),
        .init(name: "green", upstreams: [green], replicaMaxConcurrentRequests: 8),
      ],
      traffic: ["blue": 90, "green": 10])
    #expect(try await score(server, key: nil).status == 401)
    #expect(try await score(server, key: "not-the-key").status == 401)
    let seen = await withTaskGroup(of: [String: Int].self) { group in
      for _ in 0..<8 {
        group.addTask {
          var seen: [String: Int] = [:]
          for _ in 0..<1_250 {
            let answer = try? await self.score(server, key: keys.secondaryKey)
            let name = answer.map { answer in
              guard answer.status == 200, let deployment = answer.deployment, answer.text.contains(deployment) else {
                return "status \(answer.status)"
              }
              return deployment
            }
            seen[name ?? "error", default: 0] += 1
          }
          return seen
        }
      }
      return await group.reduce(into: [:]) { $0.merge($1, uniquingKeysWith: +) }
    }
    #expect(seen.keys.sorted() == ["blue", "green"], "\(seen)")
    #expect((8_800...9_200).contains(seen["blue"] ?? 0), "\(seen)")
    await server.stop()
  }

  @Test func modelErrorIs424AndSlowRunIsCutWith408() async throws {
    let blue = try await scoringServer("blue", workers: 2)
    let (server, keys) = try await gateway(
      [.init(name: "blue", upstreams: [blue], replicaMaxConcurrentRequests: 2, scoringTimeoutMs: 1_000)],
      traffic: ["blue": 100])
    let failed = try await score(server, key: keys.primaryKey, body: #"{"fail": true}"#)
    #expect(failed.status == 424)
    let cut = try await score(server, key: keys.primaryKey, body: #"{"sleep": 5}"#)
    #expect(cut.status == 408)
    #expect(cut.text.contains("scoring_timeout_ms"))
    // Healthy after: the other worker still scores.
    let after = try await score(server, key: keys.primaryKey, body: #"{"data": [2]}"#)
    #expect(after.status == 200)
    #expect(after.deployment == "blue")
    await server.stop()
  }

  @Test func overTheLimitQueuesThenIsRefusedWithRealRun() async throws {
    let blue = try await scoringServer("blue")
    let (server, keys) = try await gateway(
      [.init(name: "blue", upstreams: [blue], replicaMaxConcurrentRequests: 1, maxRequestWaitTimeMs: 2_000)],
      traffic: ["blue": 100])
    let statuses = await withTaskGroup(of: Int.self) { group in
      for index in 0..<3 {
        group.addTask {
          try? await Task.sleep(for: .milliseconds(150 * index))
          return (try? await self.score(server, key: keys.primaryKey, body: #"{"sleep": 4}"#).status) ?? -1
        }
      }
      return await group.reduce(into: []) { $0.append($1) }.sorted()
    }
    #expect(statuses == [200, 429, 503])
    #expect(try await score(server, key: keys.primaryKey).status == 200)
    await server.stop()
  }
}

struct ScoringTestFailure: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = "scoring server did not start:\n" + description }
}
