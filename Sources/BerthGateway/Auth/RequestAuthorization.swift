import Crypto
import Foundation

/// The credentials in force and the decision for one request's `Authorization` header.
public struct RequestAuthorization: Sendable {
  /// The mode.
  public var mode: AuthMode
  /// The endpoint's name (tokens carry it).
  public var endpoint: String
  /// The keys, in `key` mode.
  public var keys: EndpointKeys?
  /// The signing key's bytes, in `aml_token` mode (`SymmetricKey` itself is not `Sendable`).
  var signingKeyBytes: Data?

  /// The signing key, in `aml_token` mode.
  public var signingKey: SymmetricKey? {
    get { signingKeyBytes.map { SymmetricKey(data: $0) } }
    set { signingKeyBytes = newValue?.withUnsafeBytes { Data($0) } }
  }

  /// Creates the credentials.
  public init(mode: AuthMode, endpoint: String, keys: EndpointKeys? = nil, signingKey: SymmetricKey? = nil) {
    self.mode = mode
    self.endpoint = endpoint
    self.keys = keys
    self.signingKeyBytes = signingKey?.withUnsafeBytes { Data($0) }
  }

  /// The decision: `nil` to let the request in, or why it is refused (a text safe to show: no secret in it).
  public func refusal(authorizationHeader: String?, now: Date) -> String? {
    if mode == .none { return nil }
    guard let header = authorizationHeader, header.count > 7, header.prefix(7).lowercased() == "bearer " else {
      return "no 'Authorization: Bearer …' header"
    }
    let presented = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    switch mode {
    case .none: return nil
    case .key:
      return keys?.accepts(presented) == true ? nil : "the key is not the endpoint's primary or secondary key"
    case .amlToken:
      guard let signingKey else { return "no token signing key is configured" }
      switch AccessToken.verify(presented, endpoint: endpoint, signingKey: signingKey, now: now) {
      case .success: return nil
      case .failure(.expired): return "the token has expired; request a new one"
      case .failure(.otherEndpoint): return "the token was issued for another endpoint"
      case .failure(.invalid): return "the token is not valid for this endpoint"
      }
    }
  }
}
