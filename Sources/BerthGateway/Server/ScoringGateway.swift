import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// What the gateway does with one request: liveness, metrics, auth, routing, limits, the upstream call.
///
/// Independent of sockets: the HTTP handler hands it a `GatewayRequest` and writes the answer back.
public final class ScoringGateway: Sendable {
  private struct Deployments: Sendable {
    var gates: [String: AdmissionGate] = [:]
    var nextUpstream: [String: Int] = [:]
    var inFlightByUpstream: [String: Int] = [:]
  }

  private let loaded: NIOLockedValueBox<LoadedConfiguration>
  private let deployments = NIOLockedValueBox(Deployments())
  /// The counters behind `/metrics`.
  public let metrics = GatewayMetrics()
  private let upstream: UpstreamPool
  private let collector: NIOLockedValueBox<ModelDataCollector?>
  private let now: @Sendable () -> Date

  /// Creates the gateway for `configuration`, calling upstreams with `upstream`.
  public init(configuration: LoadedConfiguration, upstream: UpstreamPool, now: @escaping @Sendable () -> Date = Date.init) {
    loaded = NIOLockedValueBox(configuration)
    self.upstream = upstream
    self.now = now
    collector = NIOLockedValueBox(nil)
    apply(configuration)
  }

  /// The configuration in force.
  public var configuration: LoadedConfiguration { loaded.withLockedValue { $0 } }

  /// Switches to `configuration` for every request that starts from now; requests in flight finish as they began.
  public func apply(_ configuration: LoadedConfiguration) {
    loaded.withLockedValue { $0 = configuration }
    let settings = configuration.configuration
    deployments.withLockedValue { state in
      for deployment in settings.deployments {
        if let gate = state.gates[deployment.name] {
          gate.setCapacity(deployment.concurrency)
        } else {
          state.gates[deployment.name] = AdmissionGate(capacity: deployment.concurrency)
        }
      }
    }
    collector.withLockedValue { collector in
      guard let folder = settings.modelDataFolder else {
        collector = nil
        return
      }
      if collector?.folder != folder || collector?.maxBytes != settings.modelDataMaxBytes {
        collector = ModelDataCollector(folder: folder, maxBytes: settings.modelDataMaxBytes)
      }
    }
  }

  /// The model data collector in force, if any.
  public var modelData: ModelDataCollector? { collector.withLockedValue { $0 } }

  /// Answers one request, on `eventLoop` (the client connection's): routing, auth and the upstream call
  /// all stay on that loop; only a request that must queue for a slot waits in a Swift task.
  public func respond(to request: GatewayRequest, on eventLoop: any EventLoop) -> EventLoopFuture<GatewayAnswer> {
    if let answer = handleLocally(request) { return eventLoop.makeSucceededFuture(answer) }
    let started = NIODeadline.now()
    let requestID = UUID().uuidString.lowercased()
    switch route(request) {
    case .answer(let answer):
      return eventLoop.makeSucceededFuture(
        finish(answer, for: request, requestID: requestID, deployment: "", started: started))
    case .forward(let deployment, let mirror):
      let isScore = request.path == "/score"
      if let mirror {
        // The live answer never waits for the copy, and the copy's answer is dropped.
        _ = forward(request, to: mirror, requestID: requestID, collect: false, on: eventLoop)
      }
      return forward(request, to: deployment, requestID: requestID, collect: isScore, on: eventLoop).map {
        [self] answer in
        finish(answer, for: request, requestID: requestID, deployment: deployment.name, started: started)
      }
    }
  }

  /// Answers one request (for callers outside an event loop).
  public func handle(_ request: GatewayRequest, on eventLoop: any EventLoop) async -> GatewayAnswer {
    // `respond` never fails its future: every problem is an answer.
    (try? await eventLoop.flatSubmit { self.respond(to: request, on: eventLoop) }.get())
      ?? .error(.internalServerError, code: "InternalError", message: "the gateway could not answer")
  }

  /// Answers, on the caller's thread, a request that needs no scoring server (liveness, metrics, unknown
  /// routes); `nil` for `/score` and `/swagger.json`, which need `handle`.
  public func handleLocally(_ request: GatewayRequest) -> GatewayAnswer? {
    let started = NIODeadline.now()
    let answer: GatewayAnswer
    switch (request.method, request.path) {
    case (.GET, "/score"), (.POST, "/score"), (.GET, "/swagger.json"):
      return nil
    case (.GET, "/"), (.HEAD, "/"):
      answer = .text(.ok, "Healthy")
    case (.GET, "/metrics"):
      answer = .text(.ok, renderMetrics(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    case (_, "/score"), (_, "/swagger.json"), (_, "/"), (_, "/metrics"):
      answer = .error(.methodNotAllowed, code: "MethodNotAllowed", message: "\(request.method) is not allowed here")
    default:
      answer = .error(.notFound, code: "NotFound", message: "no route for \(request.path)")
    }
    return finish(
      answer, for: request, requestID: UUID().uuidString.lowercased(), deployment: "", started: started)
  }

  /// Adds the request id headers (and the deployment that answered) and counts the answer.
  private func finish(
    _ answer: GatewayAnswer, for request: GatewayRequest, requestID: String, deployment: String, started: NIODeadline
  ) -> GatewayAnswer {
    var answer = answer
    answer.headers.replaceOrAdd(name: "x-request-id", value: requestID)
    answer.headers.replaceOrAdd(name: "x-ms-request-id", value: requestID)
    if let clientID = request.headers.first(name: "x-ms-client-request-id") {
      answer.headers.replaceOrAdd(name: "x-ms-client-request-id", value: clientID)
    }
    if !deployment.isEmpty { answer.headers.replaceOrAdd(name: "azureml-model-deployment", value: deployment) }
    let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
    if request.path != "/metrics" {
      metrics.record(deployment: deployment, status: Int(answer.status.code), seconds: seconds)
    }
    return answer
  }

  private enum Route {
    case answer(GatewayAnswer)
    case forward(GatewayConfiguration.Deployment, mirror: GatewayConfiguration.Deployment?)
  }

  /// Auth, then the deployment (pinned or drawn by traffic weight) and the mirror copy, if any.
  private func route(_ request: GatewayRequest) -> Route {
    let current = configuration
    let settings = current.configuration
    if let refusal = current.authorization.refusal(
      authorizationHeader: request.headers.first(name: "authorization"), now: now())
    {
      var answer = GatewayAnswer.error(.unauthorized, code: "Unauthorized", message: refusal)
      answer.headers.add(name: "www-authenticate", value: #"Bearer realm="\#(settings.endpoint)""#)
      return .answer(answer)
    }
    let pinned = request.headers.first(name: "azureml-model-deployment")
    guard let name = pinned ?? current.split.deployment(roll: Int.random(in: 0..<max(1, current.split.total))),
      let deployment = settings.deployment(named: name)
    else {
      let message =
        pinned.map { "no deployment named '\($0)' behind endpoint '\(settings.endpoint)'" }
        ?? "endpoint '\(settings.endpoint)' has no deployment with positive traffic"
      return .answer(.error(.notFound, code: "DeploymentNotFound", message: message))
    }
    var mirror: GatewayConfiguration.Deployment?
    if request.path == "/score", pinned == nil, let name = current.split.mirrorDeployment(roll: Int.random(in: 0..<100)) {
      mirror = settings.deployment(named: name)
    }
    return .forward(deployment, mirror: mirror)
  }

  /// Takes a slot in the deployment (at once when one is free, else after queueing), calls one of its
  /// upstreams, and gives the slot back.
  private func forward(
    _ request: GatewayRequest, to deployment: GatewayConfiguration.Deployment, requestID: String, collect: Bool,
    on eventLoop: any EventLoop
  ) -> EventLoopFuture<GatewayAnswer> {
    let (gate, upstreamIndex) = deployments.withLockedValue { state in
      let gate = state.gates[deployment.name] ?? AdmissionGate(capacity: deployment.concurrency)
      state.gates[deployment.name] = gate
      let index = state.nextUpstream[deployment.name, default: 0]
      state.nextUpstream[deployment.name] = index &+ 1
      return (gate, index)
    }
    let admitted: EventLoopFuture<AdmissionGate.Outcome>
    switch gate.tryEnter() {
    case .admitted?: admitted = eventLoop.makeSucceededFuture(.admitted)
    case .queueFull?: admitted = eventLoop.makeSucceededFuture(.queueFull)
    case .waitedTooLong?, nil:
      let wait = Duration.milliseconds(deployment.maxRequestWaitTimeMs)
      admitted = eventLoop.makeFutureWithTask { await gate.enter(maxWait: wait) }
    }
    return admitted.flatMap { [self] outcome in
      switch outcome {
      case .admitted:
        return call(request, to: deployment, upstreamIndex: upstreamIndex, requestID: requestID, collect: collect, on: eventLoop)
          .always { _ in gate.leave() }
      case .queueFull:
        return eventLoop.makeSucceededFuture(
          .error(
            .tooManyRequests, code: "TooManyPendingRequests",
            message:
              "deployment '\(deployment.name)' already has \(deployment.concurrency) requests scoring and as many waiting"
          ))
      case .waitedTooLong:
        return eventLoop.makeSucceededFuture(
          .error(
            .serviceUnavailable, code: "RequestWaitTimeExceeded",
            message:
              "no free scoring slot in deployment '\(deployment.name)' within max_request_wait_time (\(deployment.maxRequestWaitTimeMs) ms)"
          ))
      }
    }
  }

  /// One upstream call for a request that holds a slot; every failure becomes an answer.
  private func call(
    _ request: GatewayRequest, to deployment: GatewayConfiguration.Deployment, upstreamIndex: Int, requestID: String,
    collect: Bool, on eventLoop: any EventLoop
  ) -> EventLoopFuture<GatewayAnswer> {
    let upstreamText = deployment.upstreams[upstreamIndex % deployment.upstreams.count]
    guard let address = UpstreamAddress(upstreamText) else {
      return eventLoop.makeSucceededFuture(
        .error(.badGateway, code: "UpstreamUnreachable", message: "deployment '\(deployment.name)' has no valid upstream"))
    }
    // Counted per upstream so a rollout can retire an old server once nothing is in flight to it.
    deployments.withLockedValue { $0.inFlightByUpstream[upstreamText, default: 0] += 1 }
    var headers = HTTPHeaders()
    for (name, value) in request.headers where Self.forwardedHeaders.contains(name.lowercased()) {
      headers.add(name: name, value: value)
    }
    headers.replaceOrAdd(name: "x-request-id", value: requestID)
    headers.replaceOrAdd(name: "x-ms-request-id", value: requestID)
    let arrived = now()
    return upstream.send(
      to: address, method: request.method, uri: request.uri, headers: headers, body: request.body,
      timeout: .milliseconds(Int64(deployment.scoringTimeoutMs)), on: eventLoop
    ).map { reply in
      Self.answer(for: reply)
    }.recover { error in
      if case UpstreamPool.Failure.timedOut = error {
        return .error(
          .requestTimeout, code: "RequestTimeout",
          message: "scoring took longer than scoring_timeout_ms (\(deployment.scoringTimeoutMs) ms) and was cut")
      }
      return .error(
        .badGateway, code: "UpstreamUnreachable",
        message: "the scoring server of deployment '\(deployment.name)' did not answer (it may have crashed)")
    }.map { [self] answer in
      deployments.withLockedValue { $0.inFlightByUpstream[upstreamText, default: 1] -= 1 }
      if collect && deployment.collectModelData, let collector = modelData {
        collector.append(
          ModelDataCollector.Record(
            requestID: requestID, deployment: deployment.name, time: arrived, input: Data(buffer: request.body),
            status: Int(answer.status.code), output: Data(buffer: answer.body)))
      }
      return answer
    }
  }

  /// Headers passed to the scoring server; never `Authorization`, which it has no use for.
  static let forwardedHeaders: Set<String> = [
    "content-type", "accept", "accept-encoding", "user-agent", "x-ms-client-request-id",
  ]

  /// A 2xx passes through; any other status becomes 424 with the model's status in
  /// `ms-azureml-model-error-statuscode` (as Azure ML's online endpoints answer a model error).
  static func answer(for reply: UpstreamPool.Reply) -> GatewayAnswer {
    var headers = HTTPHeaders()
    for name in ["content-type", "content-encoding"] {
      if let value = reply.headers.first(name: name) { headers.add(name: name, value: value) }
    }
    guard (200..<300).contains(reply.status.code) else {
      headers.add(name: "ms-azureml-model-error-statuscode", value: String(reply.status.code))
      headers.add(name: "ms-azureml-model-error-reason", value: "model_error")
      return GatewayAnswer(status: .failedDependency, headers: headers, body: reply.body)
    }
    return GatewayAnswer(status: reply.status, headers: headers, body: reply.body)
  }

  /// Requests being sent to or answered by `upstream` (`host:port` as configured) right now.
  public func inFlight(upstream: String) -> Int {
    deployments.withLockedValue { $0.inFlightByUpstream[upstream] ?? 0 }
  }

  private func renderMetrics() -> String {
    let names = configuration.configuration.deployments.map(\.name)
    let (gates, upstreams) = deployments.withLockedValue { ($0.gates, $0.inFlightByUpstream) }
    return metrics.render(
      gauges: names.map { ($0, gates[$0]?.active ?? 0, gates[$0]?.queued ?? 0) }, upstreams: upstreams)
  }
}

extension Data {
  init(buffer: ByteBuffer) { self = Data(buffer.readableBytesView) }
}
