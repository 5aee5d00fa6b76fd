import AsyncHTTPClient
import BerthModel
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// A small client of the Kubernetes REST API: server-side apply, get, list by label, delete, pod logs.
///
/// Errors carry the API server's `Status` (code, reason, message). The bearer token is sent as a header
/// and never appears in errors or descriptions.
public struct KubeClient: Sendable {
  public let connection: ClusterConnection
  private let http: HTTPClient
  /// How long one request may take.
  public var requestTimeout: TimeAmount = .seconds(30)
  /// Objects per list page (`limit`), as kubectl's default chunk size; lists follow `continue` to the end.
  public var listPageSize = 500
  /// The field manager named in server-side apply, owning the fields Berth sets.
  public static let fieldManager = "berth"

  /// Opens a client (one connection pool) for `connection`; call `shutdown()` when done.
  public init(_ connection: ClusterConnection) throws {
    self.connection = connection
    var configuration = HTTPClient.Configuration()
    if connection.server.hasPrefix("https://") {
      var tls = TLSConfiguration.makeClientConfiguration()
      do {
        if let authority = connection.certificateAuthorityPEM {
          tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(authority.utf8)))
        }
        if let certificate = connection.clientCertificatePEM, let key = connection.clientKeyPEM {
          tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.utf8)).map { .certificate($0) }
          tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        }
      } catch {
        throw KubernetesError.configuration("cannot read the TLS certificates or key for \(connection.server): \(error)")
      }
      if connection.insecureSkipTLSVerify { tls.certificateVerification = .none }
      configuration.tlsConfiguration = tls
    } else if !connection.server.hasPrefix("http://") {
      throw KubernetesError.configuration(
        "API server '\(connection.server)' must start with https:// (or http:// for a local test server)")
    }
    configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
    // Fail at once when the API server cannot be reached or its certificate is not trusted, instead of retrying
    // the connection until the request's deadline; apply retries retryable failures itself.
    configuration.connectionPool.retryConnectionEstablishment = false
    http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
  }

  public func shutdown() async {
    try? await http.shutdown()
  }

  // MARK: - Verbs

  /// Server-side apply of `object` (PATCH `application/apply-patch+yaml`, `fieldManager=berth`); returns the live object.
  /// With `dryRun` the server validates and admits the object but stores nothing.
  @discardableResult
  public func apply(
    _ object: JSONValue, force: Bool = true, fieldManager: String = KubeClient.fieldManager, dryRun: Bool = false
  ) async throws -> JSONValue {
    guard let kind = KubeKind.of(object), let name = object["metadata"]?["name"]?.stringValue else {
      throw KubernetesError.configuration("cannot apply an object without a known kind and a name")
    }
    let namespace = object["metadata"]?["namespace"]?.stringValue
    var query = ["fieldManager": fieldManager]
    if force { query["force"] = "true" }
    if dryRun { query["dryRun"] = "All" }
    let path = kind.collectionPath(namespace: namespace) + "/" + name
    let body = try await send(
      .PATCH, path, query: query, body: ObjectOutput.json(object), contentType: "application/apply-patch+yaml",
      what: "apply \(kind) \(name)")
    return try Self.answer(body)
  }

  /// The object, or nil when it does not exist.
  public func get(_ kind: KubeKind, _ name: String, namespace: String?) async throws -> JSONValue? {
    do {
      let body = try await send(.GET, kind.collectionPath(namespace: namespace) + "/" + name, what: "get \(kind) \(name)")
      return try Self.answer(body)
    } catch let error as KubernetesError where error.code == 404 {
      return nil
    }
  }

  /// Every object of `kind` in `namespace` matching the selectors, page by page.
  public func list(_ kind: KubeKind, namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil)
    async throws -> [JSONValue]
  {
    try await listAll(kind, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector).items
  }

  /// What a paged list returned and what it took.
  public struct Listed: Sendable {
    public var items: [JSONValue]
    /// Requests made, pages and restarts included.
    public var calls: Int
    /// Times the list started over because a `continue` token expired (410).
    public var restarts: Int
  }

  /// Lists in pages of `listPageSize` (`limit` and `continue`, the API's chunked lists), so a namespace of
  /// thousands of objects is never one multi-megabyte answer. A continue token that expired (410 Gone, reason
  /// Expired, after etcd compacted the revision the list started at) restarts the list from the beginning: the
  /// pages must come from one consistent snapshot. Gives up after 3 restarts.
  public func listAll(_ kind: KubeKind, namespace: String?, labelSelector: String? = nil, fieldSelector: String? = nil)
    async throws -> Listed
  {
    var base: [String: String] = [:]
    if let labelSelector { base["labelSelector"] = labelSelector }
    if let fieldSelector { base["fieldSelector"] = fieldSelector }
    if listPageSize > 0 { base["limit"] = String(listPageSize) }
    var calls = 0
    var restarts = 0
    while true {
      var items: [JSONValue] = []
      var token: String?
      do {
        repeat {
          var query = base
          if let token { query["continue"] = token }
          calls += 1
          let body = try await send(.GET, kind.collectionPath(namespace: namespace), query: query, what: "list \(kind.plural)")
          let list = try Self.answer(body)
          guard let page = list["items"]?.arrayValue ?? (list["items"] == .null ? [] : nil) else {
            throw KubernetesError.malformedResponse("list \(kind.plural) has no items")
          }
          items += page
          token = list["metadata"]?["continue"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        } while token != nil
        return Listed(items: items, calls: calls, restarts: restarts)
      } catch let error as KubernetesError where error.code == 410 && token != nil && restarts < 3 {
        restarts += 1
      }
    }
  }

  /// Deletes an object (background or foreground propagation); false when it was already gone.
  @discardableResult
  public func delete(_ kind: KubeKind, _ name: String, namespace: String?, propagationPolicy: String = "Foreground")
    async throws -> Bool
  {
    do {
      _ = try await send(
        .DELETE, kind.collectionPath(namespace: namespace) + "/" + name, query: ["propagationPolicy": propagationPolicy],
        what: "delete \(kind) \(name)")
      return true
    } catch let error as KubernetesError where error.code == 404 {
      return false
    }
  }

  /// The last `tailLines` lines of a pod's container log (all of it when nil; `previous` for the last terminated run).
  public func log(pod: String, namespace: String, container: String, tailLines: Int?, previous: Bool = false) async throws
    -> String
  {
    var query = ["container": container]
    if let tailLines { query["tailLines"] = String(tailLines) }
    if previous { query["previous"] = "true" }
    let body = try await send(
      .GET, KubeKind.pod.collectionPath(namespace: namespace) + "/\(pod)/log", query: query, what: "log of pod \(pod)")
    return String(decoding: body, as: UTF8.self)
  }

  // MARK: - Transport

  private func send(
    _ method: HTTPMethod, _ path: String, query: [String: String] = [:], body: String? = nil,
    contentType: String? = nil, what: String
  ) async throws -> Data {
    var components = URLComponents()
    components.path = path
    if !query.isEmpty {
      components.queryItems = query.keys.sorted().map { URLQueryItem(name: $0, value: query[$0]) }
    }
    // `+` in label selectors must not read as a space.
    let suffix = (components.percentEncodedQuery.map { "?" + $0.replacingOccurrences(of: "+", with: "%2B") }) ?? ""
    var request = HTTPClientRequest(url: connection.server + components.percentEncodedPath + suffix)
    request.method = method
    request.headers.add(name: "Accept", value: "application/json")
    request.headers.add(name: "User-Agent", value: "berth")
    if let token = connection.bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    if let body {
      request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
      request.body = .bytes(ByteBuffer(string: body))
    }
    let response: HTTPClientResponse
    let data: Data
    do {
      response = try await http.execute(request, timeout: requestTimeout)
      let buffer = try await response.body.collect(upTo: 64 << 20)
      data = Data(buffer.readableBytesView)
    } catch {
      throw KubernetesError.transport("\(what) at \(connection.server): \(error)")
    }
    guard (200..<300).contains(response.status.code) else {
      throw Self.statusError(code: Int(response.status.code), body: data, what: what)
    }
    return data
  }

  /// The `Status` a failed request answered with, or the status line and body text when it was not one.
  static func statusError(code: Int, body: Data, what: String) -> KubernetesError {
    if let status = try? JSONValue.parse(body), status["kind"]?.stringValue == "Status" {
      var message = status["message"]?.stringValue ?? ""
      if let causes = status["details"]?["causes"]?.arrayValue, !causes.isEmpty, message.isEmpty {
        message = causes.compactMap { $0["message"]?.stringValue }.joined(separator: "; ")
      }
      return .status(code: code, reason: status["reason"]?.stringValue ?? "", message: message, request: what)
    }
    let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return .status(code: code, reason: "", message: text.isEmpty ? "no body" : text, request: what)
  }

  /// An answer body as JSON; anything else is a malformed answer of the API server.
  static func answer(_ body: Data) throws -> JSONValue {
    do {
      return try JSONValue.parse(body)
    } catch let error as JSONSyntaxError {
      throw KubernetesError.malformedResponse(error.description)
    }
  }
}
