import Foundation

/// Who may read the status page: anyone, or a client with the bearer token or the basic-auth user and password.
public struct PageAuth: Sendable {
  var bearerToken: [UInt8]?
  /// `user:password`.
  var basicCredentials: [UInt8]?

  public init(bearerToken: String? = nil, basicCredentials: String? = nil) {
    self.bearerToken = bearerToken.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
    self.basicCredentials = basicCredentials.flatMap { $0.isEmpty ? nil : Array($0.utf8) }
  }

  public var isOpen: Bool { bearerToken == nil && basicCredentials == nil }

  /// Whether `authorization` (the header's value) grants access; compared in constant time.
  public func allows(authorization: String?) -> Bool {
    if isOpen { return true }
    guard let authorization else { return false }
    if let token = bearerToken, authorization.hasPrefix("Bearer ") {
      return WebhookVerifier.constantTimeEqual(Array(authorization.dropFirst("Bearer ".count).utf8), token)
    }
    if let credentials = basicCredentials, authorization.hasPrefix("Basic "),
      let decoded = Data(base64Encoded: String(authorization.dropFirst("Basic ".count)))
    {
      return WebhookVerifier.constantTimeEqual(Array(decoded), credentials)
    }
    return false
  }
}

/// The controller's routes beside `/healthz` and `/metrics`: the status page at `/` and the git webhook.
public struct ControllerEndpoints: Sendable {
  public var status: ControllerStatusStore
  public var pageAuth: PageAuth
  /// Nil when no webhook secret is configured: `POST /hooks/git` is then refused.
  public var webhook: WebhookVerifier?
  public var trigger: WatchTrigger
  /// Called when a webhook was accepted (for the log).
  public var onHook: @Sendable (_ event: String) -> Void

  public init(
    status: ControllerStatusStore, pageAuth: PageAuth = PageAuth(), webhook: WebhookVerifier?, trigger: WatchTrigger,
    onHook: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.status = status
    self.pageAuth = pageAuth
    self.webhook = webhook
    self.trigger = trigger
    self.onHook = onHook
  }

  /// The answer for `request`, or nil when the path is not one of these routes.
  func respond(to request: MetricsServer.Request, metrics: WatchMetrics, now: Date) -> MetricsServer.Response? {
    switch request.path {
    case "/", "/status":
      guard request.method != "POST" else { return WatchEndpoints.methodNotAllowed("GET, HEAD") }
      guard pageAuth.allows(authorization: request.headers["authorization"]) else {
        return .init(
          status: 401, body: "unauthorized\n",
          headers: pageAuth.basicCredentials == nil ? [:] : ["WWW-Authenticate": "Basic realm=\"berth\""])
      }
      var status = status.snapshot
      status.nextCycleAt = metrics.nextCycleAt
      return .init(
        status: 200, contentType: StatusPage.contentType, body: StatusPage.render(status, metrics: metrics, now: now),
        headers: [
          "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
          // No script at all, so none may run: escaping is the first defence, this the second.
          "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
        ])
    case "/hooks/git":
      guard request.method == "POST" else { return WatchEndpoints.methodNotAllowed("POST") }
      guard let webhook else {
        return .init(status: 404, body: "no webhook secret configured (--webhook-secret-env)\n")
      }
      guard webhook.accepts(headers: request.headers, body: request.body) else {
        return .init(status: 401, body: "bad or missing signature\n")
      }
      let event = request.headers["x-github-event"] ?? request.headers["x-gitlab-event"] ?? "push"
      trigger.fire()
      onHook(event)
      return .init(status: 202, body: "reconcile triggered\n")
    default:
      return nil
    }
  }
}
