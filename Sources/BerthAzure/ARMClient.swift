import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An Azure Resource Manager error: ARM's `code` and `message` (`{"error": {"code", "message"}}`).
public struct ARMError: Error, CustomStringConvertible, Sendable, Equatable {
  public var status: Int
  public var code: String
  public var message: String

  public init(status: Int, code: String, message: String) {
    self.status = status
    self.code = code
    self.message = message
  }

  public var description: String { "\(code): \(message) (HTTP \(status))" }
}

/// Resource Manager over HTTPS with a bearer token from an `AzureCredential`: GET, PUT, PATCH and DELETE with the
/// api-version pinned per call; long-running operations followed through `Azure-AsyncOperation` (else `Location`)
/// honouring `Retry-After`; 429 and 5xx retried with backoff; 409 while a resource is still provisioning waited out.
public struct ARMClient: Sendable {
  public let cloud: AzureCloud
  public let credential: any AzureCredential
  let http: HTTPClient
  /// How long to wait between polls when the server says nothing (and the cap on what it says).
  let pollInterval: Duration
  let maxRetries: Int
  let operationTimeout: Duration

  public init(
    cloud: AzureCloud, credential: any AzureCredential, http: HTTPClient, pollInterval: Duration = .seconds(5),
    maxRetries: Int = 5, operationTimeout: Duration = .seconds(1800)
  ) {
    self.cloud = cloud
    self.credential = credential
    self.http = http
    self.pollInterval = pollInterval
    self.maxRetries = maxRetries
    self.operationTimeout = operationTimeout
  }

  /// One answer: status, headers and the JSON body (nil when empty).
  public struct Answer: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data
    public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
  }

  /// The resource at `path`, or nil when ARM says 404.
  public func get(_ path: String, apiVersion: String) async throws -> [String: Any]? {
    let answer = try await send(.GET, url(path, apiVersion), body: nil)
    if answer.status == 404 { return nil }
    try check(answer)
    return answer.json
  }

  /// Creates or replaces the resource at `path` and waits until ARM reports it provisioned; returns it.
  public func put(
    _ path: String, apiVersion: String, body: [String: Any], progress: @Sendable (String) -> Void = { _ in }
  ) async throws -> [String: Any] {
    let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
    let answer = try await send(.PUT, url(path, apiVersion), body: data)
    try check(answer)
    try await follow(answer, progress: progress)
    guard let resource = try await get(path, apiVersion: apiVersion) else {
      throw ARMError(status: 404, code: "ResourceNotFound", message: "\(path) is gone after its PUT completed")
    }
    return resource
  }

  /// Deletes the resource at `path` and waits until ARM says it is gone (a resource already gone is fine).
  public func delete(_ path: String, apiVersion: String, progress: @Sendable (String) -> Void = { _ in }) async throws {
    let answer = try await send(.DELETE, url(path, apiVersion), body: nil)
    if answer.status == 404 || answer.status == 204 { return }
    try check(answer)
    try await follow(answer, progress: progress)
  }

  /// POSTs an action (`listClusterUserCredential`) and returns its answer.
  public func post(_ path: String, apiVersion: String) async throws -> [String: Any] {
    let answer = try await send(.POST, url(path, apiVersion), body: Data("{}".utf8))
    try check(answer)
    return answer.json ?? [:]
  }

  func url(_ path: String, _ apiVersion: String) -> String {
    let separator = path.contains("?") ? "&" : "?"
    return cloud.resourceManager + path + separator + "api-version=" + apiVersion
  }

  /// Follows a long-running operation to its end: `Azure-AsyncOperation` (its `status`), else `Location` (202 until
  /// done). Fails with the operation's own error code and message.
  func follow(_ first: Answer, progress: @Sendable (String) -> Void) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + operationTimeout
    if let operation = first.headers.first(name: "Azure-AsyncOperation") {
      var wait = retryAfter(first.headers)
      while true {
        try await Task.sleep(for: wait)
        // An interrupted apply stops following; the operation goes on at ARM and the next apply finds it.
        try Task.checkCancellation()
        let answer = try await send(.GET, operation, body: nil)
        try check(answer)
        let status = answer.json?["status"] as? String ?? "InProgress"
        switch status {
        case "Succeeded": return
        case "Failed", "Canceled":
          let error = answer.json?["error"] as? [String: Any]
          throw ARMError(
            status: answer.status, code: error?["code"] as? String ?? status,
            message: error?["message"] as? String ?? "the operation ended \(status)")
        default:
          progress("ARM operation \(status.lowercased())…")
        }
        if clock.now >= deadline {
          throw ARMError(status: 0, code: "Timeout", message: "the operation did not end in \(operationTimeout)")
        }
        wait = retryAfter(answer.headers)
      }
    }
    guard first.status == 202 || first.status == 201, let location = first.headers.first(name: "Location") else {
      return
    }
    var wait = retryAfter(first.headers)
    while true {
      try await Task.sleep(for: wait)
      try Task.checkCancellation()
      let answer = try await send(.GET, location, body: nil)
      if answer.status == 200 || answer.status == 204 { return }
      try check(answer)
      progress("ARM operation in progress…")
      if clock.now >= deadline {
        throw ARMError(status: 0, code: "Timeout", message: "the operation did not end in \(operationTimeout)")
      }
      wait = retryAfter(answer.headers)
    }
  }

  func retryAfter(_ headers: HTTPHeaders) -> Duration {
    guard let text = headers.first(name: "Retry-After"), let seconds = Double(text) else { return pollInterval }
    return min(.milliseconds(Int64(seconds * 1000)), .seconds(60))
  }

  func check(_ answer: Answer) throws {
    guard !(200..<300).contains(answer.status) else { return }
    let error = answer.json?["error"] as? [String: Any]
    throw ARMError(
      status: answer.status, code: error?["code"] as? String ?? "HTTP\(answer.status)",
      message: error?["message"] as? String ?? String(decoding: answer.body.prefix(300), as: UTF8.self))
  }

  /// One request with the bearer token; 429 and 5xx retried (waiting `Retry-After`, else doubling from the poll
  /// interval), and 409 `AnotherOperationInProgress`-style conflicts waited out, up to `maxRetries` times.
  func send(_ method: HTTPMethod, _ url: String, body: Data?) async throws -> Answer {
    var attempt = 0
    var backoff = pollInterval
    while true {
      let token = try await credential.token(scope: cloud.resourceManagerScope)
      var request = HTTPClientRequest(url: url)
      request.method = method
      request.headers.add(name: "Authorization", value: "Bearer \(token.value)")
      request.headers.add(name: "Accept", value: "application/json")
      if let body {
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
      }
      let response = try await http.execute(request, timeout: .seconds(60))
      let bytes = try await response.body.collect(upTo: 16 << 20)
      let answer = Answer(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
      let retryable = answer.status == 429 || answer.status >= 500 || (answer.status == 409 && Self.isTransientConflict(answer))
      guard retryable, attempt < maxRetries else { return answer }
      attempt += 1
      let wait = answer.headers.first(name: "Retry-After") != nil ? retryAfter(answer.headers) : backoff
      backoff = min(backoff * 2, .seconds(60))
      try await Task.sleep(for: wait)
    }
  }

  /// A 409 that means "busy, try again": another operation on the resource is still running.
  static func isTransientConflict(_ answer: Answer) -> Bool {
    let code = (answer.json?["error"] as? [String: Any])?["code"] as? String ?? ""
    return ["AnotherOperationInProgress", "OperationNotAllowed", "Conflict", "ResourceGroupBeingDeleted"].contains(code)
  }
}
