import BerthGateway
import BerthTesting
import Crypto
import Foundation
import Testing

/// Keys, rotation and tokens, through a real gateway.
@Suite(.timeLimit(.minutes(10))) struct GatewayAuthTests {
  @Test func noKeyOrWrongKeyIs401AndBothKeysWork() async throws {
    let blue = try await StaticUpstream(name: "blue")
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(blue)]
      $0.traffic = ["blue": 100]
    }
    let missing = try await gateway.send()
    #expect(missing.status == 401)
    #expect(missing.headers.first(name: "www-authenticate") == #"Bearer realm="risk""#)
    #expect(missing.headers.first(name: "x-request-id") != nil)
    #expect(missing.text.contains(#""code":"Unauthorized""#))
    let wrong = try await gateway.send(bearer: EndpointKeys.generateKey())
    #expect(wrong.status == 401)
    for key in [gateway.keys.primaryKey, gateway.keys.secondaryKey] {
      let answer = try await gateway.send(bearer: key)
      #expect(answer.status == 200)
      #expect(!answer.text.contains(key))
    }
    // The liveness route needs no key; swagger does, like scoring.
    #expect(try await gateway.send("/", method: .GET).status == 200)
    #expect(try await gateway.send("/swagger.json", method: .GET).status == 401)
    #expect(blue.served == 2)
    await gateway.stop()
    await blue.stop()
  }

  @Test func regeneratingOneKeyUnderLoadFailsNoRequestOnTheOther() async throws {
    let blue = try await StaticUpstream(name: "blue")
    let gateway = try await GatewayFixture {
      $0.deployments = [.on(blue)]
      $0.traffic = ["blue": 100]
    }
    let old = gateway.keys
    async let loop = gateway.load(4_000, concurrency: 8, bearer: old.secondaryKey)
    try await Task.sleep(for: .milliseconds(100))
    try gateway.rotateKeys { $0.primaryKey = EndpointKeys.generateKey() }
    let seen = await loop
    #expect(seen == ["blue": 4_000])
    #expect(try await gateway.send(bearer: old.primaryKey).status == 401)
    #expect(try await gateway.send(bearer: gateway.keys.primaryKey).status == 200)
    await gateway.stop()
    await blue.stop()
  }

  @Test func tokensWorkUntilTheyExpire() async throws {
    let blue = try await StaticUpstream(name: "blue")
    let gateway = try await GatewayFixture {
      $0.authMode = .amlToken
      $0.deployments = [.on(blue)]
      $0.traffic = ["blue": 100]
    }
    let key = try SecretFiles.readSigningKey(gateway.signingKeyPath)
    let fresh = AccessToken.issue(endpoint: "risk", signingKey: key, now: Date(), lifetime: 300)
    #expect(try await gateway.send(bearer: fresh.text).status == 200)
    let expired = AccessToken.issue(endpoint: "risk", signingKey: key, now: Date(timeIntervalSinceNow: -7200))
    let refused = try await gateway.send(bearer: expired.text)
    #expect(refused.status == 401)
    #expect(refused.text.contains("expired"))
    #expect(try await gateway.send(bearer: gateway.keys.primaryKey).status == 401)
    let otherEndpoint = AccessToken.issue(endpoint: "fraud", signingKey: key, now: Date(), lifetime: 300)
    #expect(try await gateway.send(bearer: otherEndpoint.text).status == 401)
    await gateway.stop()
    await blue.stop()
  }
}
