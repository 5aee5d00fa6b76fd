import BerthGateway
import BerthTesting
import Foundation
import NIOHTTP1
import Testing

/// Concurrency limits, waiting, timeouts, metrics and model data, through a real gateway.
@Suite(.timeLimit(.minutes(10))) struct GatewayLimitTests {
  @Test func overTheLimitQueuesThenIsRefused() async throws {
    // Wide margins (4 s scoring, 2 s wait, arrivals 100 ms apart) so a loaded machine keeps the order.
    let slow = try await StaticUpstream(name: "slow", delayMs: 4_000)
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(slow, concurrency: 1, waitMs: 2_000)]
      $0.traffic = ["slow": 100]
    }
    // One scores, one waits (then gives up after 2 s), the rest find the queue full.
    let statuses = await withTaskGroup(of: Int.self) { group in
      for index in 0..<4 {
        group.addTask {
          try? await Task.sleep(for: .milliseconds(100 * index))
          return (try? await gateway.send(bearer: gateway.keys.primaryKey).status) ?? -1
        }
      }
      return await group.reduce(into: []) { $0.append($1) }.sorted()
    }
    #expect(statuses == [200, 429, 429, 503])
    let tooMany = try await sendWhileBusy(gateway, slow: slow)
    #expect(tooMany.text.contains(#""code":"TooManyPendingRequests""#))
    // Healthy after: a request that finds a free slot is scored.
    slow.setDelay(milliseconds: 0)
    #expect(try await gateway.send(bearer: gateway.keys.primaryKey).status == 200)
    await gateway.stop()
    await slow.stop()
  }

  /// With one request scoring and one waiting, a third is refused at once.
  func sendWhileBusy(_ gateway: GatewayFixture, slow: StaticUpstream) async throws -> (
    status: Int, headers: NIOHTTP1.HTTPHeaders, text: String
  ) {
    async let first = gateway.send(bearer: gateway.keys.primaryKey)
    try await Task.sleep(for: .milliseconds(100))
    async let second = gateway.send(bearer: gateway.keys.primaryKey)
    try await Task.sleep(for: .milliseconds(100))
    let third = try await gateway.send(bearer: gateway.keys.primaryKey)
    _ = try await (first, second)
    return third
  }

  @Test func aWaitingRequestGetsTheNextFreeSlot() async throws {
    let slow = try await StaticUpstream(name: "slow", delayMs: 400)
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(slow, concurrency: 1, waitMs: 10_000)]
      $0.traffic = ["slow": 100]
    }
    async let first = gateway.send(bearer: gateway.keys.primaryKey)
    try await Task.sleep(for: .milliseconds(100))
    let second = try await gateway.send(bearer: gateway.keys.primaryKey)
    #expect(try await first.status == 200)
    #expect(second.status == 200)
    await gateway.stop()
    await slow.stop()
  }

  @Test func scoringPastTheTimeoutIsCutAndTheGatewayStaysHealthy() async throws {
    let slow = try await StaticUpstream(name: "slow", delayMs: 5_000)
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(slow, timeoutMs: 1_000)]
      $0.traffic = ["slow": 100]
    }
    let clock = ContinuousClock()
    let started = clock.now
    async let pending = gateway.send(bearer: gateway.keys.primaryKey)
    var seenInFlight = false
    for _ in 0..<250 where !seenInFlight {
      seenInFlight = gateway.server.gateway.inFlight(upstream: slow.address) == 1
      if !seenInFlight { try await Task.sleep(for: .milliseconds(10)) }
    }
    #expect(seenInFlight)
    let cut = try await pending
    #expect(gateway.server.gateway.inFlight(upstream: slow.address) == 0)
    #expect(cut.status == 408)
    #expect(cut.text.contains("scoring_timeout_ms (1000 ms)"))
    #expect(clock.now - started < .seconds(4.5))
    slow.setDelay(milliseconds: 0)
    #expect(try await gateway.send("/", method: .GET).status == 200)
    let after = try await gateway.send(bearer: gateway.keys.primaryKey)
    #expect(after.status == 200, "\(after.text)")
    await gateway.stop()
    await slow.stop()
  }

  @Test func unreachableUpstreamIsBadGateway() async throws {
    let gone = try await StaticUpstream(name: "gone")
    await gone.stop()
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(gone)]
      $0.traffic = ["gone": 100]
    }
    let answer = try await gateway.send(bearer: gateway.keys.primaryKey)
    #expect(answer.status == 502)
    #expect(answer.headers.first(name: "azureml-model-deployment") == "gone")
    await gateway.stop()
  }

  @Test func metricsCountRequestsByDeploymentAndStatus() async throws {
    let blue = try await StaticUpstream(name: "blue")
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(blue)]
      $0.traffic = ["blue": 100]
    }
    _ = await gateway.load(25, concurrency: 5)
    _ = try await gateway.send(bearer: "wrong")
    let metrics = try await gateway.send("/metrics", method: .GET)
    #expect(metrics.status == 200)
    #expect(metrics.text.contains(#"berth_gateway_requests_total{deployment="blue",status="200"} 25"#))
    #expect(metrics.text.contains(#"berth_gateway_requests_total{deployment="",status="401"} 1"#))
    #expect(metrics.text.contains(#"berth_gateway_request_duration_seconds_count{deployment="blue"} 25"#))
    #expect(metrics.text.contains(#"berth_gateway_in_flight{deployment="blue"} 0"#))
    #expect(metrics.text.contains(#"berth_gateway_queued{deployment="blue"} 0"#))
    #expect(metrics.text.contains(#"berth_gateway_upstream_in_flight{upstream="\#(blue.address)"} 0"#))
    await gateway.stop()
    await blue.stop()
  }

  @Test func metricsTextFormat() {
    let metrics = GatewayMetrics()
    metrics.record(deployment: "blue", status: 200, seconds: 0.0007)
    metrics.record(deployment: "blue", status: 200, seconds: 0.2)
    metrics.record(deployment: "green", status: 408, seconds: 0.3)
    metrics.record(deployment: "", status: 401, seconds: 0.0001)
    let text = metrics.render(
      gauges: [("blue", 1, 0), ("green", 0, 2)], upstreams: ["127.0.0.1:43121": 1, "127.0.0.1:43122": 0])
    let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    let mismatch = SnapshotFile.mismatch(text, file: snapshots.appendingPathComponent("metrics.txt"))
    #expect(mismatch == nil, "\(mismatch ?? "")")
  }

  @Test func modelDataIsCollectedPerDeploymentWithTheRequestIDAndRotated() async throws {
    let blue = try await StaticUpstream(name: "blue")
    let green = try await StaticUpstream(name: "green")
    var folder = ""
    let gateway = try await GatewayFixture {
      folder = NSTemporaryDirectory() + "berth-model-data-\(UUID().uuidString.prefix(8))"
      var collecting = GatewayConfiguration.Deployment.on(blue)
      collecting.collectModelData = true
      $0.deployments = [collecting, .on(green)]
      $0.traffic = ["blue": 100]
      $0.modelDataFolder = folder
      $0.modelDataMaxBytes = 4_096
    }
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let answer = try await gateway.send(body: #"{"data": [[1, 2, 3]]}"#, bearer: gateway.keys.primaryKey)
    let requestID = try #require(answer.headers.first(name: "x-request-id"))
    _ = await gateway.load(60, concurrency: 4)
    _ = try await gateway.send(bearer: gateway.keys.primaryKey, headers: [("azureml-model-deployment", "green")])
    let collector = try #require(gateway.server.gateway.modelData)
    collector.flush()
    let file = folder + "/blue/data.jsonl"
    let files = [file] + (1...5).map { "\(file).\($0)" }
    let lines = files.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.joined().split(separator: "\n")
    #expect(lines.count == 61)
    let rotatedSize = try #require(FileManager.default.attributesOfItem(atPath: file + ".1")[.size] as? Int)
    #expect(rotatedSize <= 4_096)
    let first = try #require(
      lines.lazy.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        .first { $0["request_id"] as? String == requestID })
    #expect((first["input"] as? [String: Any])?["data"] as? [[Int]] == [[1, 2, 3]])
    #expect((first["output"] as? [String: Any])?["deployment"] as? String == "blue")
    #expect(first["status"] as? Int == 200)
    #expect(!FileManager.default.fileExists(atPath: folder + "/green"))
    await gateway.stop()
    await blue.stop()
    await green.stop()
  }
}
