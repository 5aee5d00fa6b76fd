import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An OCI distribution API client for one registry host: blob HEAD/GET/upload/mount and manifest GET/PUT.
///
/// Answers 401 challenges through `RegistryAuthorizer` and retries the request once with the new authorization.
public struct RegistryClient: Sendable {
  public let host: String
  /// Plain HTTP instead of HTTPS (a registry on 127.0.0.1, a lab registry).
  public let insecure: Bool
  private let http: HTTPClient
  private let authorizer: RegistryAuthorizer
  /// Uploads are sent in PATCH chunks of at most this many bytes.
  public var chunkSize = 32 << 20

  public init(host: String, insecure: Bool = false, credentials: RegistryCredentials?, http: HTTPClient = RegistryHTTP.client) {
    self.host = host
    self.insecure = insecure
    self.http = http
    self.authorizer = RegistryAuthorizer(host: host, credentials: credentials, http: http)
  }

  private var base: String { (insecure ? "http://" : "https://") + host }

  // MARK: blobs

  /// Whether `repository` has the blob (HEAD).
  public func hasBlob(_ repository: String, digest: String) async throws -> Bool {
    let response = try await send(.HEAD, "/v2/\(repository)/blobs/\(digest)", scopes: [Self.pull(repository)])
    switch response.status {
    case 200: return true
    case 404: return false
    default: throw error(response, what: "checking blob \(digest) in \(repository)")
    }
  }

  /// The blob's bytes (GET; registries may redirect to storage).
  public func blob(_ repository: String, digest: String, limit: Int = 1 << 30) async throws -> Data {
    let response = try await send(.GET, "/v2/\(repository)/blobs/\(digest)", scopes: [Self.pull(repository)], limit: limit)
    guard response.status == 200 else { throw error(response, what: "blob \(digest) of \(repository)") }
    guard Digest.sha256(response.body) == digest else { throw RegistryError.digestInvalid("blob \(digest) of \(repository)") }
    return response.body
  }

  /// Streams a blob into `path` (written beside it, then renamed), verifying its digest on the way; returns its size.
  public func downloadBlob(_ repository: String, digest: String, to path: String) async throws -> Int {
    var request = HTTPClientRequest(url: base + "/v2/\(repository)/blobs/\(digest)")
    request.method = .GET
    let scopes = [Self.pull(repository)]
    var response = try await execute(request, scopes: scopes)
    if response.status == .unauthorized, let challenge = response.headers.first(name: "WWW-Authenticate") {
      let authorization = try await authorizer.authorize(challenge: challenge, scopes: scopes)
      request.headers.replaceOrAdd(name: "Authorization", value: authorization)
      response = try await execute(request, scopes: scopes)
    }
    guard response.status == .ok else {
      let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
      throw error(
        Response(status: response.status.code, headers: response.headers, body: body), what: "blob \(digest) of \(repository)")
    }
    let staging = path + ".part-\(getpid())"
    _ = FileManager.default.createFile(atPath: staging, contents: nil)
    guard let handle = FileHandle(forWritingAtPath: staging) else { throw ImageBuildError("cannot write '\(staging)'") }
    var counter = DigestCounter()
    do {
      for try await chunk in response.body {
        let data = Data(chunk.readableBytesView)
        counter.update(data)
        try handle.write(contentsOf: data)
      }
      try handle.close()
    } catch {
      try? handle.close()
      try? FileManager.default.removeItem(atPath: staging)
      throw RegistryError.transport(host: host, detail: "downloading \(digest): \(error)")
    }
    guard counter.finalize() == digest else {
      try? FileManager.default.removeItem(atPath: staging)
      throw RegistryError.digestInvalid("blob \(digest) of \(repository)")
    }
    guard rename(staging, path) == 0 else { throw ImageBuildError("cannot move a blob into '\(path)'") }
    return counter.count
  }

  private func execute(_ request: HTTPClientRequest, scopes: [String]) async throws -> HTTPClientResponse {
    var request = request
    if request.headers.first(name: "Authorization") == nil, let cached = await authorizer.cached(for: scopes) {
      request.headers.add(name: "Authorization", value: cached)
    }
    do {
      return try await http.execute(request, timeout: .seconds(3600))
    } catch {
      throw RegistryError.transport(host: host, detail: "\(request.method) \(Self.redactedQuery(request.url)): \(error)")
    }
  }

  /// Asks the registry to link `digest` from `source` into `repository` without uploading; false if it would not.
  public func mountBlob(_ repository: String, digest: String, from source: String) async throws -> Bool {
    let query = "?mount=\(digest)&from=\(source)"
    let response = try await send(
      .POST, "/v2/\(repository)/blobs/uploads/\(query)", scopes: [Self.push(repository), Self.pull(source)],
      body: Data())
    switch response.status {
    case 201: return true
    case 202:
      // The registry started an ordinary upload instead; abandon it.
      if let location = response.headers.first(name: "Location") {
        _ = try? await send(.DELETE, location, scopes: [Self.push(repository)])
      }
      return false
    default: throw error(response, what: "mounting \(digest) from \(source) into \(repository)")
    }
  }

  /// Uploads a blob: POST to open a session, PATCH in chunks, PUT with the digest to finish.
  public func uploadBlob(_ repository: String, digest: String, file path: String, size: Int) async throws {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw ImageBuildError("cannot read '\(path)'") }
    defer { try? handle.close() }
    try await upload(repository, digest: digest, size: size) { count in try handle.read(upToCount: count) ?? Data() }
  }

  /// Uploads a blob held in memory (configs).
  public func uploadBlob(_ repository: String, digest: String, data: Data) async throws {
    var offset = 0
    try await upload(repository, digest: digest, size: data.count) { count in
      let chunk = data[data.startIndex + offset..<data.startIndex + min(data.count, offset + count)]
      offset += chunk.count
      return Data(chunk)
    }
  }

  private func upload(_ repository: String, digest: String, size: Int, next: (Int) throws -> Data) async throws {
    let scopes = [Self.push(repository)]
    let what = "uploading \(digest) to \(repository)"
    let start = try await send(.POST, "/v2/\(repository)/blobs/uploads/", scopes: scopes, body: Data())
    guard start.status == 202, var location = start.headers.first(name: "Location") else { throw error(start, what: what) }
    var offset = 0
    while offset < size {
      let chunk = try next(min(chunkSize, size - offset))
      guard !chunk.isEmpty else { throw ImageBuildError("'\(digest)' ended early while it was uploaded") }
      let response = try await send(
        .PATCH, location, scopes: scopes, body: chunk,
        headers: [
          ("Content-Type", "application/octet-stream"), ("Content-Range", "\(offset)-\(offset + chunk.count - 1)"),
        ])
      guard response.status == 202, let next = response.headers.first(name: "Location") else { throw error(response, what: what) }
      location = next
      offset += chunk.count
    }
    let finish = try await send(
      .PUT, location + (location.contains("?") ? "&" : "?") + "digest=\(digest)", scopes: scopes, body: Data(),
      headers: [("Content-Type", "application/octet-stream")])
    guard finish.status == 201 else { throw error(finish, what: what) }
  }

  // MARK: manifests

  /// A manifest or index by tag or digest, with its media type and digest.
  public func manifest(_ repository: String, reference: String) async throws -> (data: Data, mediaType: String, digest: String) {
    let response = try await send(
      .GET, "/v2/\(repository)/manifests/\(reference)", scopes: [Self.pull(repository)],
      headers: [("Accept", MediaType.manifestAccept)], limit: 4 << 20)
    guard response.status == 200 else { throw error(response, what: "manifest \(repository):\(reference)") }
    let digest = Digest.sha256(response.body)
    if reference.hasPrefix("sha256:"), reference != digest {
      throw RegistryError.digestInvalid("manifest \(repository)@\(reference)")
    }
    var mediaType = response.headers.first(name: "Content-Type") ?? ""
    if let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
      let declared = object["mediaType"] as? String
    {
      mediaType = declared
    }
    return (response.body, mediaType, digest)
  }

  /// PUTs a manifest under `reference` (a tag or its digest); returns the digest the registry recorded.
  @discardableResult
  public func putManifest(_ repository: String, reference: String, data: Data, mediaType: String) async throws -> String {
    let response = try await send(
      .PUT, "/v2/\(repository)/manifests/\(reference)", scopes: [Self.push(repository)], body: data,
      headers: [("Content-Type", mediaType)])
    guard response.status == 201 else { throw error(response, what: "pushing manifest \(repository):\(reference)") }
    let digest = Digest.sha256(data)
    if let answered = response.headers.first(name: "Docker-Content-Digest"), answered != digest {
      throw RegistryError.digestInvalid("manifest \(repository):\(reference) (registry recorded \(answered))")
    }
    return digest
  }

  // MARK: transport

  static func pull(_ repository: String) -> String { "repository:\(repository):pull" }
  static func push(_ repository: String) -> String { "repository:\(repository):pull,push" }

  struct Response {
    var status: UInt
    var headers: HTTPHeaders
    var body: Data
  }

  private func send(
    _ method: HTTPMethod, _ pathOrURL: String, scopes: [String], body: Data? = nil, headers: [(String, String)] = [],
    limit: Int = 1 << 20
  ) async throws -> Response {
    let url = pathOrURL.hasPrefix("http://") || pathOrURL.hasPrefix("https://") ? pathOrURL : base + pathOrURL
    var authorization = await authorizer.cached(for: scopes)
    for attempt in 0..<2 {
      var request = HTTPClientRequest(url: url)
      request.method = method
      for (name, value) in headers { request.headers.add(name: name, value: value) }
      if let authorization { request.headers.replaceOrAdd(name: "Authorization", value: authorization) }
      if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
      let response: HTTPClientResponse
      var data = Data()
      do {
        response = try await http.execute(request, timeout: .seconds(600))
        if method != .HEAD { data = Data(try await response.body.collect(upTo: limit).readableBytesView) }
      } catch {
        throw RegistryError.transport(host: host, detail: "\(method) \(Self.redactedQuery(url)): \(error)")
      }
      if response.status == .unauthorized, attempt == 0, let challenge = response.headers.first(name: "WWW-Authenticate") {
        authorization = try await authorizer.authorize(challenge: challenge, scopes: scopes)
        continue
      }
      return Response(status: response.status.code, headers: response.headers, body: data)
    }
    throw RegistryError.unauthorized(host: host, detail: "")
  }

  /// The error for an unexpected response, from its status and the OCI `errors` body.
  private func error(_ response: Response, what: String) -> RegistryError {
    var codes: [String] = []
    var messages: [String] = []
    if let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
      let errors = object["errors"] as? [[String: Any]]
    {
      for entry in errors {
        if let code = entry["code"] as? String { codes.append(code) }
        var message = entry["message"] as? String ?? ""
        // distribution names the offending digest in `detail` ({"digest": …} or text).
        if let detail = entry["detail"] as? [String: Any], let digest = detail["digest"] as? String {
          message += " (\(digest))"
        } else if let detail = entry["detail"] as? String, !detail.isEmpty {
          message += " (\(detail))"
        }
        messages.append(message)
      }
    }
    let detail = zip(codes, messages).map { "\($0): \($1)" }.joined(separator: "; ")
    if codes.contains("DIGEST_INVALID") { return .digestInvalid(what) }
    if codes.contains("MANIFEST_BLOB_UNKNOWN") { return .manifestBlobUnknown("\(what): \(detail)") }
    switch response.status {
    case 401: return .unauthorized(host: host, detail: detail)
    case 403: return .denied(host: host, detail: detail)
    case 404: return .notFound(what.replacingOccurrences(of: "checking ", with: ""))
    default: return .unexpected(status: Int(response.status), what: what, detail: detail)
    }
  }

  /// Upload URLs carry opaque state in their query; messages show only the path.
  static func redactedQuery(_ url: String) -> String {
    url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
  }
}
