import BerthGateway
import BerthTesting
import Foundation
import Testing

/// How the gateway uses connections to scoring servers: kept alive and reused, given up when the server
/// says `Connection: close`, and a request resent once when a reused connection was already dropped.
@Suite(.timeLimit(.minutes(5))) struct UpstreamConnectionTests {
  @Test func sequentialRequestsReuseOneKeepAliveConnection() async throws {
    let upstream = try await StaticUpstream(name: "blue")
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(upstream)]
      $0.traffic = ["blue": 100]
    }
    for _ in 0..<20 { #expect(try await gateway.send(bearer: gateway.keys.primaryKey).status == 200) }
    #expect(upstream.served == 20)
    // One client connection lands on one event loop, whose pool keeps one upstream connection.
    #expect(upstream.connections == 1)
    await gateway.stop()
    await upstream.stop()
  }

  @Test func aServerThatClosesEveryConnectionGetsANewOnePerRequest() async throws {
    let upstream = try await StaticUpstream(name: "blue", behaviour: .closeAfterEachAnswer)
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(upstream)]
      $0.traffic = ["blue": 100]
    }
    for _ in 0..<10 { #expect(try await gateway.send(bearer: gateway.keys.primaryKey).status == 200) }
    #expect(upstream.served == 10)
    #expect(upstream.connections == 10)
    await gateway.stop()
    await upstream.stop()
  }

  @Test func aReusedConnectionDroppedByTheServerIsRetriedOnceOnAFreshOne() async throws {
    // Every connection answers one request, then closes on the next without answering.
    let upstream = try await StaticUpstream(name: "blue", behaviour: .dropUnansweredAfter(1))
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(upstream)]
      $0.traffic = ["blue": 100]
    }
    for _ in 0..<5 { #expect(try await gateway.send(bearer: gateway.keys.primaryKey).status == 200) }
    #expect(upstream.served == 5)
    // Requests 2…5 each found the idle connection dropped, and were answered on a fresh one.
    #expect(upstream.dropped == 4)
    #expect(upstream.connections == 5)
    await gateway.stop()
    await upstream.stop()
  }

  @Test func aFreshConnectionThatFailsIsNotRetried() async throws {
    // Closes every connection before answering anything: a crashing server. One attempt, then 502.
    let upstream = try await StaticUpstream(name: "blue", behaviour: .dropUnansweredAfter(0))
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(upstream)]
      $0.traffic = ["blue": 100]
    }
    let answer = try await gateway.send(bearer: gateway.keys.primaryKey)
    #expect(answer.status == 502)
    #expect(answer.text.contains("UpstreamUnreachable"))
    #expect(upstream.dropped == 1)
    await gateway.stop()
    await upstream.stop()
  }
}
