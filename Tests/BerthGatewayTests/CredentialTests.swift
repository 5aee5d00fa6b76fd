import Crypto
import Foundation
import Testing

@testable import BerthGateway

/// Keys, tokens and the authorization decision, without a server.
@Suite struct CredentialTests {
  @Test func generatedKeysAre256RandomBits() {
    let keys = (0..<50).map { _ in EndpointKeys.generateKey() }
    #expect(Set(keys).count == 50)
    for key in keys { #expect(Base64URL.decode(Substring(key))?.count == 32) }
  }

  @Test func bothKeysAreAcceptedAndNothingElse() {
    let keys = EndpointKeys.generate()
    #expect(keys.accepts(keys.primaryKey))
    #expect(keys.accepts(keys.secondaryKey))
    #expect(!keys.accepts(""))
    #expect(!keys.accepts(keys.primaryKey + "x"))
    #expect(!keys.accepts(String(keys.primaryKey.dropLast())))
    #expect(!EndpointKeys(primaryKey: "", secondaryKey: "s").accepts(""))
  }

  @Test func tokenIsValidUntilItExpires() {
    let key = SymmetricKey(size: .bits256)
    let issued = Date(timeIntervalSince1970: 1_800_000_000)
    let token = AccessToken.issue(endpoint: "risk", signingKey: key, now: issued, lifetime: 600)
    #expect(token.claims.expiresAt == 1_800_000_600)
    #expect(token.claims.refreshAfter == 1_800_000_300)
    let verify = { (now: TimeInterval) in
      AccessToken.verify(token.text, endpoint: "risk", signingKey: key, now: Date(timeIntervalSince1970: now))
    }
    #expect(verify(1_800_000_599) == .success(token.claims))
    #expect(verify(1_800_000_600) == .failure(.expired))
    #expect(
      AccessToken.verify(token.text, endpoint: "other", signingKey: key, now: issued) == .failure(.otherEndpoint))
    #expect(
      AccessToken.verify(token.text, endpoint: "risk", signingKey: SymmetricKey(size: .bits256), now: issued)
        == .failure(.invalid))
  }

  @Test func tamperedClaimsAreRefused() throws {
    let key = SymmetricKey(size: .bits256)
    let token = AccessToken.issue(endpoint: "risk", signingKey: key, now: Date(), lifetime: 60)
    let parts = token.text.split(separator: ".")
    var claims = token.claims
    claims.expiresAt += 86400
    let forged = try JSONEncoder().encode(claims)
    let text = "\(parts[0]).\(Base64URL.encode(forged)).\(parts[2])"
    #expect(AccessToken.verify(text, endpoint: "risk", signingKey: key, now: Date()) == .failure(.invalid))
    #expect(AccessToken.verify("not-a-token", endpoint: "risk", signingKey: key, now: Date()) == .failure(.invalid))
  }

  @Test func refusalsNeverQuoteTheSecret() {
    let keys = EndpointKeys.generate()
    let authorization = RequestAuthorization(mode: .key, endpoint: "risk", keys: keys)
    #expect(authorization.refusal(authorizationHeader: "Bearer \(keys.secondaryKey)", now: Date()) == nil)
    #expect(authorization.refusal(authorizationHeader: "bearer \(keys.primaryKey)", now: Date()) == nil)
    for header in [nil, "", "Basic abc", "Bearer wrong-\(keys.primaryKey)"] {
      let refusal = authorization.refusal(authorizationHeader: header, now: Date())
      #expect(refusal != nil)
      #expect(!(refusal ?? "").contains(keys.primaryKey))
    }
    #expect(RequestAuthorization(mode: .none, endpoint: "risk").refusal(authorizationHeader: nil, now: Date()) == nil)
  }

  @Test func keysInTokenModeAreRefused() {
    let signing = SymmetricKey(size: .bits256)
    let keys = EndpointKeys.generate()
    let authorization = RequestAuthorization(mode: .amlToken, endpoint: "risk", keys: keys, signingKey: signing)
    #expect(authorization.refusal(authorizationHeader: "Bearer \(keys.primaryKey)", now: Date()) != nil)
    let token = AccessToken.issue(endpoint: "risk", signingKey: signing, now: Date(), lifetime: 60)
    #expect(authorization.refusal(authorizationHeader: "Bearer \(token.text)", now: Date()) == nil)
  }

  @Test func secretFilesAreOwnerOnlyAndOthersAreRefused() throws {
    let folder = NSTemporaryDirectory() + "berth-secrets-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/keys.json"
    let keys = EndpointKeys.generate()
    try SecretFiles.writeKeys(keys, to: path)
    let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
    #expect(mode == 0o600)
    #expect(try SecretFiles.readKeys(path) == keys)
    try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
    let error = #expect(throws: SecretFiles.Problem.self) { try SecretFiles.readKeys(path) }
    let text = "\(error.map { "\($0)" } ?? "")"
    #expect(text.contains("mode 644") && text.contains("chmod 600"), "\(text)")
    #expect(!text.contains(keys.primaryKey))
  }
}
