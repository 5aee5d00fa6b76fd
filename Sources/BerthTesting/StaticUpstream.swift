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
  private let state: NIOLockedValueBox<(served: Int, delayMs: Int64)>

  /// Listens on a free loopback port.
  public init(name: String, delayMs: Int64 = 0, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
    async throws
  {
    let state = NIOLockedValueBox((served: 0, delayMs: delayMs))
    let body = ByteBuffer(string: #"{"deployment":"\#(name)"}"#)
    channel = try await ServerBootstrap(group: group)
      .serverChannelOption(ChannelOptions.backlog, value: 1024)
      .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
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
  /// Sets the delay before each answer.
  public func setDelay(milliseconds: Int64) { state.withLockedValue { $0.delayMs = milliseconds } }

  /// Stops listening.
  public func stop() async { try? await channel.close() }

  private final class Answering: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let body: ByteBuffer
    let state: NIOLockedValueBox<(served: Int, delayMs: Int64)>
    var keepAlive = true

    init(body: ByteBuffer, state: NIOLockedValueBox<(served: Int, delayMs: Int64)>) {
      self.body = body
      self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      switch unwrapInboundIn(data) {
      case .head(let head): keepAlive = head.isKeepAlive
      case .body: break
      case .end:
        let delay = state.withLockedValue { $0.delayMs }
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
