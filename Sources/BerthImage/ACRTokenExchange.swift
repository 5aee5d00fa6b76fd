import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Registry credentials from an Azure AD token, the way `az acr login` gets them: the AAD access token is exchanged
/// at the registry's `/oauth2/exchange` for an ACR refresh token, which the docker token flow then accepts as the
/// password of the user `00000000-0000-0000-0000-000000000000`.
///
/// The exchange endpoint is found next to the registry's token realm (ACR: `https://NAME.azurecr.io/oauth2/token` →
/// `/oauth2/exchange`), read from the 401 challenge of `GET /v2/`. Neither token is printed, logged or recorded.
public struct ACRTokenExchange: Sendable {
  /// The user name ACR expects with a refresh token.
  public static let refreshTokenUser = "00000000-0000-0000-0000-000000000000"

  /// An Azure AD access token for Resource Manager (what `az acr login` exchanges).
  let accessToken: @Sendable () async throws -> String
  let tenant: String?
  let http: HTTPClient

  public init(tenant: String?, http: HTTPClient = RegistryHTTP.client, accessToken: @escaping @Sendable () async throws -> String)
  {
    self.tenant = tenant
    self.accessToken = accessToken
    self.http = http
  }

  /// Whether a registry address is an Azure Container Registry (public and sovereign clouds).
  public static func isACR(_ host: String) -> Bool {
    let name = host.split(separator: ":").first.map { $0.lowercased() } ?? ""
    return [".azurecr.io", ".azurecr.cn", ".azurecr.us"].contains { name.hasSuffix($0) }
  }

  /// Credentials for `host` (`insecure`: plain HTTP, a registry on this machine).
  public func credentials(for host: String, insecure: Bool) async throws -> RegistryCredentials {
    let scheme = insecure ? "http://" : "https://"
    let exchange = try await exchangeURL(base: scheme + host, host: host)
    let aad: String
    do {
      aad = try await accessToken()
    } catch {
      throw RegistryError.unauthorized(host: host, detail: "no Azure AD token for the registry: \(error)")
    }
    var form = URLComponents()
    form.queryItems = [
      URLQueryItem(name: "grant_type", value: "access_token"), URLQueryItem(name: "service", value: host),
      URLQueryItem(name: "access_token", value: aad),
    ]
    if let tenant { form.queryItems?.append(URLQueryItem(name: "tenant", value: tenant)) }
    var request = HTTPClientRequest(url: exchange)
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
    // URLComponents leaves '+' alone; in a form body it would read as a space.
    let body = (form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    request.body = .bytes(ByteBuffer(string: body))
    let response: HTTPClientResponse
    let bytes: ByteBuffer
    do {
      response = try await http.execute(request, timeout: .seconds(60))
      bytes = try await response.body.collect(upTo: 1 << 20)
    } catch {
      throw RegistryError.transport(host: host, detail: "ACR token exchange: \(error)")
    }
    let object = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any]
    guard response.status == .ok, let refresh = object?["refresh_token"] as? String, !refresh.isEmpty else {
      // ACR answers {"errors": [{"code", "message"}]} or {"error", "error_description"}; neither holds a token.
      let detail =
        ((object?["errors"] as? [[String: Any]])?.first?["message"] as? String)
        ?? (object?["error_description"] as? String) ?? (object?["error"] as? String) ?? "HTTP \(response.status.code)"
      throw RegistryError.unauthorized(host: host, detail: "the Azure AD token exchange was refused: \(detail)")
    }
    return RegistryCredentials(username: Self.refreshTokenUser, password: refresh)
  }

  /// `ORIGIN/oauth2/exchange` where ORIGIN is the token realm's, from `GET /v2/`'s Bearer challenge.
  func exchangeURL(base: String, host: String) async throws -> String {
    var request = HTTPClientRequest(url: base + "/v2/")
    request.method = .GET
    let response: HTTPClientResponse
    do {
      response = try await http.execute(request, timeout: .seconds(30))
      _ = try await response.body.collect(upTo: 1 << 20)
    } catch {
      throw RegistryError.transport(host: host, detail: "\(error)")
    }
    guard let header = response.headers.first(name: "WWW-Authenticate"), let challenge = AuthChallenge(header: header),
      challenge.scheme == "bearer", let realm = challenge.parameters["realm"], let url = URLComponents(string: realm),
      let scheme = url.scheme, let realmHost = url.host
    else {
      throw RegistryError.unauthorized(
        host: host, detail: "it does not ask for Bearer tokens, so an Azure AD token cannot be exchanged for access")
    }
    return "\(scheme)://\(realmHost)\(url.port.map { ":\($0)" } ?? "")/oauth2/exchange"
  }
}
