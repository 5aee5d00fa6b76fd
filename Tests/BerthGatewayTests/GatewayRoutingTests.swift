import BerthGateway
import BerthTesting
import Foundation
import Testing

/// A real gateway process-in-test in front of trivial upstreams: traffic split, pinning, mirroring, reloads.
@Suite(.timeLimit(.minutes(10))) struct GatewayRoutingTests {
  @Test func tenThousandRequestsSplitNinetyTenWithinTwoPercent() async throws {
    let blue = try await StaticUpstream(name: "blue")
    let green = try await StaticUpstream(name: "green")
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(blue), .on(green)]
      $0.traffic = ["blue": 90, "green": 10]
    }
    let seen = await gateway.load(10_000)
    #expect(seen.keys.sorted() == ["blue", "green"], "\(seen)")
    #expect((8_800...9_200).contains(seen["blue"] ?? 0), "\(seen)")
    #expect((800...1_200).contains(seen["green"] ?? 0), "\(seen)")
    #expect(blue.served + green.served == 10_000)
    await gateway.stop()
    await blue.stop()
    await green.stop()
  }

  @Test func pinnedHeaderGoesWhereItSays() async throws {
    let blue = try await StaticUpstream(name: "blue")
    let green = try await StaticUpstream(name: "green")
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(blue), .on(green)]
      $0.traffic = ["blue": 100, "green": 0]
    }
    let pinned = await gateway.load(200, headers: [("azureml-model-deployment", "green")])
    #expect(pinned == ["green": 200])
    let answer = try await gateway.send(bearer: gateway.keys.primaryKey, headers: [("azureml-model-deployment", "green")])
    #expect(answer.headers.first(name: "azureml-model-deployment") == "green")
    let unknown = try await gateway.send(
      bearer: gateway.keys.primaryKey, headers: [("azureml-model-deployment", "purple")])
    #expect(unknown.status == 404)
    #expect(unknown.text.contains("no deployment named 'purple'"))
    await gateway.stop()
    await blue.stop()
    await green.stop()
  }

  @Test func mirrorGetsItsShareAndASlowMirrorDoesNotSlowLiveAnswers() async throws {
    let blue = try await StaticUpstream(name: "blue")
    let shadow = try await StaticUpstream(name: "shadow")
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(blue), .on(shadow, concurrency: 1000)]
      $0.traffic = ["blue": 100]
      $0.mirrorTraffic = ["shadow": 20]
    }
    let seen = await gateway.load(2_000)
    #expect(seen == ["blue": 2_000])
    try await waitUntil { shadow.served >= 300 }
    // 20 % of 2,000 is 400; binomial spread is ±18, so ±80 only fails when the share is wrong.
    #expect((320...480).contains(shadow.served), "mirror served \(shadow.served)")

    shadow.setDelay(milliseconds: 3_000)
    let clock = ContinuousClock()
    var slowest = Duration.zero
    for _ in 0..<30 {
      let started = clock.now
      let answer = try await gateway.send(bearer: gateway.keys.primaryKey)
      #expect(answer.status == 200)
      #expect(GatewayFixture.deployment(in: answer.text) == "blue")
      slowest = max(slowest, clock.now - started)
    }
    // Each mirrored copy takes 3 s; a live answer that waited for one would take at least that.
    #expect(slowest < .seconds(1.5), "slowest live answer \(slowest)")
    await gateway.stop()
    await blue.stop()
    await shadow.stop()
  }

  @Test func movingTrafficUnderALoadLoopFailsNoRequest() async throws {
    let blue = try await StaticUpstream(name: "blue")
    let green = try await StaticUpstream(name: "green")
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(blue), .on(green)]
      $0.traffic = ["blue": 100, "green": 0]
    }
    async let loop = gateway.load(6_000, concurrency: 8)
    for step in [(90, 10), (50, 50), (10, 90), (0, 100)] {
      try await Task.sleep(for: .milliseconds(150))
      try gateway.reconfigure { $0.traffic = ["blue": step.0, "green": step.1] }
    }
    let seen = await loop
    #expect(seen.keys.allSatisfy { $0 == "blue" || $0 == "green" }, "\(seen)")
    #expect(seen.values.reduce(0, +) == 6_000)
    #expect(await gateway.load(100) == ["green": 100])
    await gateway.stop()
    await blue.stop()
    await green.stop()
  }

  @Test func noDeploymentWithTrafficIsNotFound() async throws {
    let blue = try await StaticUpstream(name: "blue")
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(blue)]
      $0.traffic = ["blue": 0]
    }
    let answer = try await gateway.send(bearer: gateway.keys.primaryKey)
    #expect(answer.status == 404)
    #expect(answer.text.contains("no deployment with positive traffic"))
    let liveness = try await gateway.send("/", method: .GET)
    #expect(liveness.status == 200)
    #expect(liveness.text == "Healthy")
    #expect(liveness.headers.first(name: "x-request-id")?.count == 36)
    await gateway.stop()
    await blue.stop()
  }

  func waitUntil(_ condition: () -> Bool) async throws {
    for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
  }
}
