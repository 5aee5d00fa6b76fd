import NIOCore
import NIOHTTP1
import NIOPosix

/// Sends scoring requests to `azmlinfsrv` servers on the event loop of the client connection that asked.
///
/// Each event loop has its own pool of keep-alive upstream connections, so a request never leaves the
/// thread it arrived on: no Swift task, no hop to another loop and back (the cost that made an
/// AsyncHTTPClient-based gateway half as fast as bare `azmlinfsrv`, measured in docs/benchmarks.md).
/// Upstreams that close every connection (gunicorn's sync workers do) simply get a new one per request.
public final class UpstreamPool: Sendable {
  /// An upstream's answer.
  public struct Reply: Sendable {
    /// Its status code.
    public var status: HTTPResponseStatus
    /// Its headers.
    public var headers: HTTPHeaders
    /// Its body.
    public var body: ByteBuffer
  }

  /// Why an upstream call produced no answer.
  public enum Failure: Error, Sendable, Equatable {
    /// The scoring timeout passed first.
    case timedOut
    /// No connection, or the connection broke before an answer (the server crashed or is not there).
    case unreachable(String)
  }

  /// The most bytes of an answer the gateway reads (azmlinfsrv answers are JSON).
  public static let maxReplyBytes = 100 << 20
  /// Idle connections kept per upstream per event loop.
  static let maxIdlePerUpstream = 64

  private let pools: [ObjectIdentifier: NIOLoopBoundBox<LoopPool?>]
  private let fallback: (any EventLoop)

  /// One pool for each event loop of `eventLoopGroup`, made on first use on that loop.
  public init(eventLoopGroup: any EventLoopGroup) {
    var pools: [ObjectIdentifier: NIOLoopBoundBox<LoopPool?>] = [:]
    for loop in eventLoopGroup.makeIterator() {
      pools[ObjectIdentifier(loop)] = .makeEmptyBox(valueType: LoopPool.self, eventLoop: loop)
    }
    self.pools = pools
    fallback = eventLoopGroup.next()
  }

  /// The pool of `eventLoop`; call on that loop.
  private func pool(of eventLoop: any EventLoop) -> LoopPool? {
    guard let box = pools[ObjectIdentifier(eventLoop)] else { return nil }
    if let pool = box.value { return pool }
    let pool = LoopPool(eventLoop: eventLoop)
    box.value = pool
    return pool
  }

  /// Sends one request to `upstream` and reads the whole answer, within `timeout`; completes on `eventLoop`.
  public func send(
    to upstream: UpstreamAddress, method: HTTPMethod, uri: String, headers: HTTPHeaders, body: ByteBuffer,
    timeout: TimeAmount, on eventLoop: any EventLoop
  ) -> EventLoopFuture<Reply> {
    let exchange = Exchange(
      address: upstream, method: method, uri: uri, headers: headers, body: body,
      deadline: .now() + timeout)
    if eventLoop.inEventLoop, let pool = pool(of: eventLoop) {
      return pool.send(exchange)
    }
    // A caller on another loop (not the gateway's own handlers): run on one of the pool's loops.
    let fallback = fallback
    return fallback.flatSubmit { [self] in
      guard let pool = pool(of: fallback) else {
        return fallback.makeFailedFuture(Failure.unreachable("no event loop for the upstream pool"))
      }
      return pool.send(exchange)
    }.hop(to: eventLoop)
  }

  /// Closes every idle connection.
  public func shutdown() async {
    for box in pools.values {
      try? await box.eventLoop.submit { box.value?.closeIdle() }.get()
    }
  }

  /// One request to send.
  struct Exchange: Sendable {
    var address: UpstreamAddress
    var method: HTTPMethod
    var uri: String
    var headers: HTTPHeaders
    var body: ByteBuffer
    var deadline: NIODeadline
  }
}

/// The upstream connections of one event loop; used only on that loop.
final class LoopPool {
  private let eventLoop: any EventLoop
  private var idle: [UpstreamAddress: [UpstreamConnection]] = [:]
  private var closed = false

  init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

  func send(_ exchange: UpstreamPool.Exchange) -> EventLoopFuture<UpstreamPool.Reply> {
    let promise = eventLoop.makePromise(of: UpstreamPool.Reply.self)
    attempt(exchange, promise: promise, mayRetry: true)
    return promise.futureResult
  }

  /// Sends on an idle connection if there is one, else on a new one. A reused connection that the server
  /// had closed while it was idle fails before any byte of an answer; that attempt is retried once, on a
  /// fresh connection.
  private func attempt(
    _ exchange: UpstreamPool.Exchange, promise: EventLoopPromise<UpstreamPool.Reply>, mayRetry: Bool
  ) {
    if let connection = takeIdle(exchange.address) {
      send(exchange, on: connection, promise: promise, retry: mayRetry)
      return
    }
    UpstreamConnection.connect(to: exchange.address, on: eventLoop, deadline: exchange.deadline) {
      [self] result in
      switch result {
      case .success(let connection):
        send(exchange, on: connection, promise: promise, retry: false)
      case .failure(let error):
        promise.fail(
          NIODeadline.now() >= exchange.deadline
            ? UpstreamPool.Failure.timedOut : UpstreamPool.Failure.unreachable(String(describing: error)))
      }
    }
  }

  private func send(
    _ exchange: UpstreamPool.Exchange, on connection: UpstreamConnection,
    promise: EventLoopPromise<UpstreamPool.Reply>, retry: Bool
  ) {
    connection.exchange(exchange) { [self] result, reusable, answerStarted in
      switch result {
      case .success(let reply):
        finished(connection, reusable: reusable)
        promise.succeed(reply)
      case .failure(.unreachable) where retry && !answerStarted:
        connection.close()
        attempt(exchange, promise: promise, mayRetry: false)
      case .failure(let failure):
        connection.close()
        promise.fail(failure)
      }
    }
  }

  private func takeIdle(_ address: UpstreamAddress) -> UpstreamConnection? {
    while var connections = idle[address], let connection = connections.popLast() {
      idle[address] = connections
      if connection.isActive { return connection }
    }
    return nil
  }

  private func finished(_ connection: UpstreamConnection, reusable: Bool) {
    guard reusable, !closed, connection.isActive,
      idle[connection.address, default: []].count < UpstreamPool.maxIdlePerUpstream
    else {
      connection.close()
      return
    }
    idle[connection.address, default: []].append(connection)
  }

  func closeIdle() {
    closed = true
    for connection in idle.values.joined() { connection.close() }
    idle = [:]
  }
}
