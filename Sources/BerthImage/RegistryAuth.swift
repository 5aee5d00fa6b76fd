import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A parsed `WWW-Authenticate` challenge: `Basic realm="…"` or `Bearer realm="…",service="…",scope="…"`.
struct AuthChallenge: Equatable {
  var scheme: String
  var parameters: [String: String]

  init?(header: String) {
    let trimmed = header.trimmingCharacters(in: .whitespaces)
    guard let space = trimmed.firstIndex(of: " ") else {
      guard !trimmed.isEmpty else { return nil }
      self.scheme = trimmed.lowercased()
      self.parameters = [:]
      return
    }
    scheme = trimmed[..<space].lowercased()
    parameters = [:]
    var rest = trimmed[trimmed.index(after: space)...]
    while !rest.isEmpty {
      rest = rest.drop { $0 == " " || $0 == "," }
      guard let equals = rest.firstIndex(of: "=") else { break }
      let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
      rest = rest[rest.index(after: equals)...]
      var value = ""
      if rest.first == "\"" {
        rest = rest.dropFirst()
        while let character = rest.first, character != "\"" {
          if character == "\\", rest.count > 1 {
            rest = rest.dropFirst()
          }
          value.append(rest.first!)
          rest = rest.dropFirst()
        }
        rest = rest.dropFirst()
      } else {
        let end = rest.firstIndex(of: ",") ?? rest.endIndex
        value = String(rest[..<end]).trimmingCharacters(in: .whitespaces)
        rest = rest[end...]
      }
      parameters[key] = value
    }
  }
}

/// Answers a registry's 401 challenges: Basic with the credentials, Bearer by fetching a token from the realm.
///
/// Tokens are cached per scope set, so one build asks the token service once per repository and action.
actor RegistryAuthorizer {
  private let host: String
  private let credentials: RegistryCredentials?
  private let http: HTTPClient
  private var authorizations: [String: String] = [:]
  /// Set once the registry asked for Basic: later requests send it up front.
  private var basic: String?

  init(host: String, credentials: RegistryCredentials?, http: HTTPClient) {
    self.host = host
    self.credentials = credentials
    self.http = http
  }

  /// The `Authorization` value to send up front for `scopes`, if one is known.
  func cached(for scopes: [String]) -> String? {
    basic ?? authorizations[scopes.joined(separator: " ")]
  }

  /// Obtains an `Authorization` value that answers `challengeHeader` for `scopes`.
  func authorize(challenge challengeHeader: String, scopes: [String]) async throws -> String {
    guard let challenge = AuthChallenge(header: challengeHeader) else {
      throw RegistryError.unauthorized(host: host, detail: "unreadable challenge '\(challengeHeader)'")
    }
    switch challenge.scheme {
    case "basic":
      guard let credentials else { throw RegistryError.unauthorized(host: host, detail: "it wants a user name and password") }
      basic = credentials.basicAuthorization
      return credentials.basicAuthorization
    case "bearer":
      let value = "Bearer " + (try await token(challenge, scopes: scopes))
      authorizations[scopes.joined(separator: " ")] = value
      return value
    default:
      throw RegistryError.unauthorized(host: host, detail: "unsupported authentication scheme '\(challenge.scheme)'")
    }
  }

  /// The docker token flow: GET realm?service=…&scope=… (with Basic credentials when known) → `token` / `access_token`.
  private func token(_ challenge: AuthChallenge, scopes: [String]) async throws -> String {
    guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm) else {
      throw RegistryError.unauthorized(host: host, detail: "the Bearer challenge names no token realm")
    }
    var items = components.queryItems ?? []
    if let service = challenge.parameters["service"] { items.append(URLQueryItem(name: "service", value: service)) }
    let requested = scopes.isEmpty ? (challenge.parameters["scope"].map { [$0] } ?? []) : scopes
    for scope in requested { items.append(URLQueryItem(name: "scope", value: scope)) }
    components.queryItems = items
    guard let url = components.string else { throw RegistryError.unauthorized(host: host, detail: "bad token realm") }
    var request = HTTPClientRequest(url: url)
    request.method = .GET
    if let credentials { request.headers.add(name: "Authorization", value: credentials.basicAuthorization) }
    let response: HTTPClientResponse
    let body: ByteBuffer
    do {
      response = try await http.execute(request, timeout: .seconds(60))
      body = try await response.body.collect(upTo: 1 << 20)
    } catch {
      throw RegistryError.transport(host: components.host ?? realm, detail: "token service: \(error)")
    }
    switch response.status.code {
    case 200:
      break
    case 401:
      throw RegistryError.unauthorized(host: host, detail: "the token service rejected the credentials")
    case 403:
      throw RegistryError.denied(host: host, detail: "the token service refused scope \(requested.joined(separator: " "))")
    default:
      throw RegistryError.unexpected(status: Int(response.status.code), what: "token request to \(realm)", detail: "")
    }
    guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
      let token = (object["token"] as? String) ?? (object["access_token"] as? String), !token.isEmpty
    else { throw RegistryError.unauthorized(host: host, detail: "the token service answered without a token") }
    return token
  }
}
