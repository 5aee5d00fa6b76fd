import Foundation
import NIOCore
import NIOPosix

/// A small HTTP/1.1 server for `/healthz`, `/metrics`, the status page and `POST /hooks/git` on SwiftNIO, with one
/// event-loop thread.
///
/// Requests are bounded (`maxRequestBytes` of head, `maxBodyBytes` of body, a read timeout) and so is the
/// number of connections served at once; each response closes its connection. The answers come
/// from `handler`, a pure function, so routing is tested without sockets.
public final class MetricsServer: @unchecked Sendable {
  /// The parts of a request the handler sees.
  public struct Request: Sendable, Equatable {
    public var method: String
    /// The path without the query string.
    public var path: String
    /// Header values by lowercased name (the last one of repeated names).
    public var headers: [String: String]
    /// The body of a POST; empty otherwise.
    public var body: Data

    public init(method: String, path: String, headers: [String: String] = [:], body: Data = Data()) {
      self.method = method
      self.path = path
      self.headers = headers
      self.body = body
    }
  }

  /// A complete response.
  public struct Response: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: String
    public var headers: [String: String]

    public init(status: Int, contentType: String = "text/plain; charset=utf-8", body: String, headers: [String: String] = [:]) {
      self.status = status
      self.contentType = contentType
      self.body = body
      self.headers = headers
    }
  }

  public typealias Handler = @Sendable (Request) -> Response

  /// The longest request head accepted; longer ones get 431.
  public static let maxRequestBytes = 8192
  /// The longest body accepted (a git host's push event); longer ones get 413.
  public static let maxBodyBytes = 4 << 20
  /// Connections served at once; more are closed at once.
  public static let maxConnections = 32
  /// How long a client may take to send its request.
  public static let readTimeout: Duration = .seconds(5)

  public let host: String
  public let requestedPort: Int
  private let handler: Handler
  private let lock = NSLock()
  private var group: MultiThreadedEventLoopGroup?
  private var channel: (any Channel)?

  public init(host: String, port: Int, handler: @escaping Handler) {
    self.host = host
    self.requestedPort = port
    self.handler = handler
  }

  /// Binds and listens on an event-loop thread of its own; returns the bound port (useful with port 0).
  @discardableResult
  public func start() throws -> Int {
    guard (try? SocketAddress(ipAddress: host, port: 0))?.protocol == .inet else {
      throw MetricsServerError("'\(host)' is not an IPv4 address")
    }
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let handler = self.handler
    let open = ConnectionCount(limit: Self.maxConnections)
    let bootstrap = ServerBootstrap(group: group)
      .serverChannelOption(.backlog, value: 64)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        guard open.enter() else { return channel.close() }
        channel.closeFuture.whenComplete { _ in open.leave() }
        return channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
          try channel.pipeline.syncOperations.addHandlers([
            IdleStateHandler(readTimeout: .nanoseconds(Int64(Self.readTimeout.components.seconds) * 1_000_000_000)),
            MetricsRequestHandler(handler: handler, maxHeadBytes: Self.maxRequestBytes, maxBodyBytes: Self.maxBodyBytes),
          ])
        }
      }
    let channel: any Channel
    do {
      channel = try bootstrap.bind(host: host, port: requestedPort).wait()
    } catch {
      try? group.syncShutdownGracefully()
      throw MetricsServerError("cannot listen on \(host):\(requestedPort): \(error)")
    }
    lock.withLock {
      self.group = group
      self.channel = channel
    }
    return channel.localAddress?.port ?? requestedPort
  }

  /// Stops accepting and closes the listening socket; connections being answered finish first.
  public func stop() {
    let (group, channel) = lock.withLock { () -> (MultiThreadedEventLoopGroup?, (any Channel)?) in
      defer {
        self.group = nil
        self.channel = nil
      }
      return (self.group, self.channel)
    }
    try? channel?.close().wait()
    try? group?.syncShutdownGracefully()
  }

  /// Parses the request line's parts and asks `handler`; bad requests and methods other than GET, HEAD and POST are
  /// answered here. The flag is false for HEAD: headers only.
  static func respond(
    method: String, uri: String, headers: [String: String] = [:], body: Data = Data(), handler: Handler
  ) -> (Response, includeBody: Bool) {
    guard uri.hasPrefix("/") else { return (Response(status: 400, body: "bad request\n"), true) }
    guard method == "GET" || method == "HEAD" || method == "POST" else {
      return (Response(status: 405, body: "method not allowed\n", headers: ["Allow": "GET, HEAD, POST"]), true)
    }
    let path = String(uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/")
    return (handler(Request(method: method, path: path, headers: headers, body: body)), method != "HEAD")
  }
}

/// Why the metrics server could not start.
public struct MetricsServerError: Error, CustomStringConvertible, Equatable {
  public var description: String

  public init(_ description: String) {
    self.description = description
  }
}

/// Connections open at once, bounded.
final class ConnectionCount: @unchecked Sendable {
  private let lock = NSLock()
  private var open = 0
  private let limit: Int

  init(limit: Int) {
    self.limit = limit
  }

  func enter() -> Bool {
    lock.withLock {
      guard open < limit else { return false }
      open += 1
      return true
    }
  }

  func leave() { lock.withLock { open -= 1 } }
}
