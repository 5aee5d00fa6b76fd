import Crypto
import Foundation

/// A short-lived token for `aml_token` endpoints: `berth1.<claims>.<HMAC-SHA256>`, both parts base64url.
///
/// Like Azure ML's tokens it carries an expiry and a refresh-after time; the signature binds it to
/// the endpoint's signing key, so regenerating that key revokes every token at once.
public struct AccessToken: Sendable, Hashable {
  /// The signed claims.
  public struct Claims: Codable, Sendable, Hashable {
    /// The endpoint the token is for.
    public var endpoint: String
    /// Issued at, seconds since 1970.
    public var issuedAt: Int
    /// Not valid at or after this time, seconds since 1970.
    public var expiresAt: Int
    /// When a client should ask for a new token, seconds since 1970.
    public var refreshAfter: Int

    enum CodingKeys: String, CodingKey {
      case endpoint
      case issuedAt = "iat"
      case expiresAt = "exp"
      case refreshAfter = "refresh_after"
    }
  }

  static let prefix = "berth1"

  /// The token text a client sends as `Authorization: Bearer …`.
  public var text: String
  /// What it says.
  public var claims: Claims

  /// Issues a token for `endpoint` valid for `lifetime` seconds from `now`; refresh after half of it.
  public static func issue(endpoint: String, signingKey: SymmetricKey, now: Date, lifetime: Int = 3600) -> AccessToken {
    let issued = Int(now.timeIntervalSince1970)
    let claims = Claims(
      endpoint: endpoint, issuedAt: issued, expiresAt: issued + lifetime, refreshAfter: issued + lifetime / 2)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let body = prefix + "." + Base64URL.encode((try? encoder.encode(claims)) ?? Data())
    let signature = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: signingKey)
    return AccessToken(text: body + "." + Base64URL.encode(Data(signature)), claims: claims)
  }

  /// Why a presented token is refused.
  public enum Refusal: Error, Sendable, Hashable {
    /// Not a Berth token, or its signature does not match the signing key.
    case invalid
    /// Signed for another endpoint.
    case otherEndpoint
    /// Past its expiry.
    case expired
  }

  /// Checks `text` against `signingKey` (constant-time signature check) and the clock.
  public static func verify(
    _ text: String, endpoint: String, signingKey: SymmetricKey, now: Date
  ) -> Result<Claims, Refusal> {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0] == prefix, let claimsData = Base64URL.decode(parts[1]),
      let signature = Base64URL.decode(parts[2])
    else { return .failure(.invalid) }
    let body = Data(text.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
    guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: body, using: signingKey),
      let claims = try? JSONDecoder().decode(Claims.self, from: claimsData)
    else { return .failure(.invalid) }
    guard claims.endpoint == endpoint else { return .failure(.otherEndpoint) }
    guard Int(now.timeIntervalSince1970) < claims.expiresAt else { return .failure(.expired) }
    return .success(claims)
  }
}
