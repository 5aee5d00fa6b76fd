import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A source of Azure AD tokens.
public protocol AzureCredential: Sendable {
  /// A short name for messages: "environment (client secret)", "managed identity"…
  var name: String { get }
  /// A token for `scope` (`https://management.azure.com/.default`).
  func token(scope: String) async throws -> AzureToken
}

/// The HTTP calls credentials make: form POSTs to Azure AD, GETs to managed identity endpoints.
struct TokenHTTP: Sendable {
  let client: HTTPClient

  func send(_ request: HTTPClientRequest, what: String) async throws -> [String: Any] {
    let response: HTTPClientResponse
    do {
      response = try await client.execute(request, timeout: .seconds(30))
    } catch {
      throw AzureCredentialError(unavailable: false, "\(what): cannot reach \(request.url): \(error)")
    }
    let body = try await response.body.collect(upTo: 1 << 20)
    let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:]
    guard (200..<300).contains(response.status.code) else {
      // Azure AD's error body: `error` and `error_description` (no secret in them).
      let code = object["error"] as? String ?? "HTTP \(response.status.code)"
      let detail = (object["error_description"] as? String)?.split(separator: "\n").first.map(String.init) ?? ""
      throw AzureCredentialError(unavailable: false, "\(what): \(code)\(detail.isEmpty ? "" : ": \(detail)")")
    }
    return object
  }

  /// A token from an OAuth answer: `access_token` with `expires_in` (seconds from now) or `expires_on` (epoch seconds).
  static func token(_ object: [String: Any], what: String, now: Date = Date()) throws -> AzureToken {
    guard let value = object["access_token"] as? String, !value.isEmpty else {
      throw AzureCredentialError(unavailable: false, "\(what): the answer has no access_token")
    }
    if let on = seconds(object["expires_on"]) { return AzureToken(value: value, expiresOn: Date(timeIntervalSince1970: on)) }
    if let seconds = seconds(object["expires_in"]) { return AzureToken(value: value, expiresOn: now + seconds) }
    return AzureToken(value: value, expiresOn: now + 300)
  }

  static func seconds(_ value: Any?) -> Double? {
    if let number = value as? NSNumber { return number.doubleValue }
    if let text = value as? String { return Double(text) }
    return nil
  }

  static func form(_ fields: [(String, String)]) -> ByteBuffer {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    let text = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
      .joined(separator: "&")
    return ByteBuffer(string: text)
  }
}

/// A service principal's client secret (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`), or a
/// federated token (workload identity, `AZURE_FEDERATED_TOKEN_FILE`), exchanged at Azure AD's v2.0 token endpoint.
public struct ClientCredential: AzureCredential {
  public enum Proof: Sendable {
    case secret(String)
    /// A file holding a signed assertion, re-read at each request (Kubernetes rotates it).
    case federatedTokenFile(String)
  }

  public let tenant: String
  public let clientID: String
  public let proof: Proof
  let cloud: AzureCloud
  let http: TokenHTTP

  public var name: String {
    switch proof {
    case .secret: "environment (client secret of \(clientID))"
    case .federatedTokenFile: "workload identity (federated token for \(clientID))"
    }
  }

  public init(tenant: String, clientID: String, proof: Proof, cloud: AzureCloud, http: HTTPClient) {
    self.tenant = tenant
    self.clientID = clientID
    self.proof = proof
    self.cloud = cloud
    self.http = TokenHTTP(client: http)
  }

  public func token(scope: String) async throws -> AzureToken {
    var fields = [("grant_type", "client_credentials"), ("client_id", clientID), ("scope", scope)]
    switch proof {
    case .secret(let secret):
      fields.append(("client_secret", secret))
    case .federatedTokenFile(let path):
      guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
        throw AzureCredentialError(unavailable: false, "\(name): cannot read AZURE_FEDERATED_TOKEN_FILE \(path)")
      }
      let assertion = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      fields += [
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", assertion),
      ]
    }
    var request = HTTPClientRequest(url: "\(cloud.authorityHost)/\(tenant)/oauth2/v2.0/token")
    request.method = .POST
    request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
    request.body = .bytes(TokenHTTP.form(fields))
    return try TokenHTTP.token(try await http.send(request, what: name), what: name)
  }
}

/// A managed identity: App Service / Container Apps (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`) or the VM's
/// instance metadata service (IMDS).
public struct ManagedIdentityCredential: AzureCredential {
  let cloud: AzureCloud
  let environment: [String: String]
  let http: TokenHTTP
  /// A user-assigned identity (`AZURE_CLIENT_ID`); nil for the system-assigned one.
  let clientID: String?

  public var name: String {
    environment["IDENTITY_ENDPOINT"] != nil ? "managed identity (IDENTITY_ENDPOINT)" : "managed identity (IMDS)"
  }

  public init(cloud: AzureCloud, environment: [String: String], http: HTTPClient) {
    self.cloud = cloud
    self.environment = environment
    self.http = TokenHTTP(client: http)
    clientID = environment["AZURE_CLIENT_ID"]
  }

  public func token(scope: String) async throws -> AzureToken {
    // Managed identity endpoints take a resource, not a scope.
    let resource = scope.hasSuffix("/.default") ? String(scope.dropLast("/.default".count)) : scope
    var allowed = CharacterSet.urlQueryAllowed
    allowed.remove(charactersIn: "&=:/")
    let encoded = resource.addingPercentEncoding(withAllowedCharacters: allowed) ?? resource
    var request: HTTPClientRequest
    if let endpoint = environment["IDENTITY_ENDPOINT"], let header = environment["IDENTITY_HEADER"] {
      request = HTTPClientRequest(url: "\(endpoint)?api-version=2019-08-01&resource=\(encoded)")
      request.headers.add(name: "X-IDENTITY-HEADER", value: header)
    } else {
      request = HTTPClientRequest(
        url: "\(cloud.imdsHost)/metadata/identity/oauth2/token?api-version=2018-02-01&resource=\(encoded)")
      request.headers.add(name: "Metadata", value: "true")
    }
    if let clientID { request.url += "&client_id=\(clientID)" }
    do {
      return try TokenHTTP.token(try await http.send(request, what: name), what: name)
    } catch let error as AzureCredentialError where error.message.contains("cannot reach") {
      // No metadata service here: not an Azure machine, so the chain moves on.
      throw AzureCredentialError(unavailable: true, error.message)
    }
  }
}

/// The Azure CLI's login: `az account get-access-token`.
public struct AzureCLICredential: AzureCredential {
  let executable: String

  public var name: String { "Azure CLI (\(executable))" }

  public init(executable: String) { self.executable = executable }

  /// `az` on `PATH`, if any.
  public static func find(environment: [String: String]) -> AzureCLICredential? {
    let path = environment["PATH"] ?? "/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/az" }.first { FileManager.default.isExecutableFile(atPath: $0) }
      .map(AzureCLICredential.init(executable:))
  }

  public func token(scope: String) async throws -> AzureToken {
    let resource = scope.hasSuffix("/.default") ? String(scope.dropLast("/.default".count)) : scope
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["account", "get-access-token", "--resource", resource, "--output", "json"]
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let first = errorText.split(separator: "\n").first.map(String.init) ?? "exit \(process.terminationStatus)"
      throw AzureCredentialError(unavailable: true, "\(name): \(first) (run `az login`)")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let value = object["accessToken"] as? String
    else { throw AzureCredentialError(unavailable: false, "\(name): unexpected output of az account get-access-token") }
    // `expires_on` (epoch seconds, newer CLIs), else `expiresOn` (local time "2026-11-30 23:59:59.000000").
    if let on = TokenHTTP.seconds(object["expires_on"]) {
      return AzureToken(value: value, expiresOn: Date(timeIntervalSince1970: on))
    }
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS"
    let expires = (object["expiresOn"] as? String).flatMap(formatter.date(from:)) ?? Date() + 300
    return AzureToken(value: value, expiresOn: expires)
  }
}
