import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A trivial HTTP/1.1 upstream on 127.0.0.1: answers every request with `{"deployment":"NAME"}`,
/// keep-alive, after an optional delay; counts what it served.
///
/// Stands in for a scoring server where what the test needs is routing, limits or raw gateway speed,
/// not a model. Tests that need the real scoring server use `azmlinfsrv`.
public final class StaticUpstream: Sendable {
  /// The name it answers with.
  public let name: String
  /// The port it listens on.
  public let port: Int
  private let channel: any Channel
  private let state: NIOLockedValueBox<State>

  /// Listens on a free loopback port.
  /// What it does with a connection after answering on it.
  public enum ConnectionBehaviour: Sendable {
    /// Keeps it open for the next request (unless the client asked to close).
    case keepAlive
    /// Answers with `Connection: close` and closes it, as gunicorn's sync workers do.
    case closeAfterEachAnswer
    /// Keeps it open, but closes it without answering the request after the first `n` on it: a server
    /// that dropped an idle keep-alive connection just as the client reused it.
    case dropUnansweredAfter(Int)
  }

  struct State {
    var served = 0
    var delayMs: Int64
    var connections = 0
    var dropped = 0
    var behaviour: ConnectionBehaviour
  }

  public init(
    name: String, delayMs: Int64 = 0, behaviour: ConnectionBehaviour = .keepAlive,
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
  ) async throws {
    let state = NIOLockedValueBox(State(delayMs: delayMs, behaviour: behaviour))
    let body = ByteBuffer(string: #"{"deployment":"\#(name)"}"#)
    channel = try await ServerBootstrap(group: group)
      .serverChannelOption(ChannelOptions.backlog, value: 1024)
      .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
      .childChannelInitializer { channel in
        state.withLockedValue { $0.connections += 1 }
        return channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.configureHTTPServerPipeline()
          try channel.pipeline.syncOperations.addHandler(Answering(body: body, state: state))
        }
      }
      .bind(host: "127.0.0.1", port: 0).get()
    self.name = name
    self.state = state
    port = channel.localAddress?.port ?? 0
  }

  /// `127.0.0.1:PORT`.
  public var address: String { "127.0.0.1:\(port)" }
  /// Requests answered so far.
  public var served: Int { state.withLockedValue { $0.served } }
  /// Connections accepted so far.
  public var connections: Int { state.withLockedValue { $0.connections } }
  /// Requests it closed the connection on without answering (`dropUnansweredAfter`).
  public var dropped: Int { state.withLockedValue { $0.dropped } }
  /// Sets the delay before each answer.
  public func setDelay(milliseconds: Int64) { state.withLockedValue { $0.delayMs = milliseconds } }

  /// Stops listening.
  public func stop() async { try? await channel.close() }

  private final class Answering: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let body: ByteBuffer
    let state: NIOLockedValueBox<State>
    var keepAlive = true
    var answeredHere = 0

    init(body: ByteBuffer, state: NIOLockedValueBox<State>) {
      self.body = body
      self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      switch unwrapInboundIn(data) {
      case .head(let head): keepAlive = head.isKeepAlive
      case .body: break
      case .end:
        let (delay, behaviour) = state.withLockedValue { ($0.delayMs, $0.behaviour) }
        if case .dropUnansweredAfter(let limit) = behaviour, answeredHere >= limit {
          state.withLockedValue { $0.dropped += 1 }
          context.close(promise: nil)
          return
        }
        if case .closeAfterEachAnswer = behaviour { keepAlive = false }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        if delay > 0 {
          context.eventLoop.scheduleTask(in: .milliseconds(delay)) {
            let (handler, context) = bound.value
            handler.answer(context)
          }
        } else {
          answer(context)
        }
      }
    }

    private func answer(_ context: ChannelHandlerContext) {
      state.withLockedValue { $0.served += 1 }
      answeredHere += 1
      var headers: HTTPHeaders = ["content-type": "application/json", "content-length": String(body.readableBytes)]
      if !keepAlive { headers.add(name: "connection", value: "close") }
      context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
      context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
      let keepAlive = keepAlive
      let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
      context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
        if !keepAlive { bound.value.close(promise: nil) }
      }
    }
  }
}
