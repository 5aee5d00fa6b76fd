import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 connection to a scoring server, carrying one exchange at a time, on its event loop.
final class UpstreamConnection {
  /// How an exchange ended: the answer or why there is none, whether the connection may carry another
  /// request, and whether any byte of an answer had arrived (a retry is safe only when none had).
  typealias Completion = (Result<UpstreamPool.Reply, UpstreamPool.Failure>, _ reusable: Bool, _ answerStarted: Bool) ->
    Void

  let address: UpstreamAddress
  private let channel: any Channel
  private let handler: UpstreamResponseHandler

  private init(address: UpstreamAddress, channel: any Channel, handler: UpstreamResponseHandler) {
    self.address = address
    self.channel = channel
    self.handler = handler
  }

  /// Whether the connection is still open.
  var isActive: Bool { channel.isActive }

  /// Connects to `address` from `eventLoop`, giving up at `deadline`, and calls `completion` on the loop.
  /// An IP literal is connected to directly; only a host name goes through NIO's resolver.
  static func connect(
    to address: UpstreamAddress, on eventLoop: any EventLoop, deadline: NIODeadline,
    completion: @escaping (Result<UpstreamConnection, any Error>) -> Void
  ) {
    let remaining = deadline - .now()
    guard remaining > .zero else { return completion(.failure(UpstreamPool.Failure.timedOut)) }
    let bootstrap = ClientBootstrap(group: eventLoop)
      .connectTimeout(min(remaining, .seconds(5)))
      .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
      .channelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHTTPClientHandlers()
          try channel.pipeline.syncOperations.addHandler(UpstreamResponseHandler())
        }
      }
    let connected: EventLoopFuture<any Channel>
    if let literal = try? SocketAddress(ipAddress: address.host, port: address.port) {
      connected = bootstrap.connect(to: literal)
    } else {
      connected = bootstrap.connect(host: address.host, port: address.port)
    }
    let bound = NIOLoopBound(completion, eventLoop: eventLoop)
    connected.hop(to: eventLoop).whenComplete { result in
      switch result {
      case .success(let channel):
        do {
          let handler = try channel.pipeline.syncOperations.handler(type: UpstreamResponseHandler.self)
          bound.value(.success(UpstreamConnection(address: address, channel: channel, handler: handler)))
        } catch {
          channel.close(promise: nil)
          bound.value(.failure(error))
        }
      case .failure(let error):
        bound.value(.failure(error))
      }
    }
  }

  /// Sends `exchange` and calls `completion` once, on the event loop, when the answer has arrived, the
  /// connection broke, or the deadline passed (then the connection is closed, so a late answer can never be
  /// read as the next request's).
  func exchange(_ exchange: UpstreamPool.Exchange, completion: @escaping Completion) {
    var headers = exchange.headers
    headers.replaceOrAdd(name: "host", value: address.description)
    headers.replaceOrAdd(name: "content-length", value: String(exchange.body.readableBytes))
    let head = HTTPRequestHead(version: .http1_1, method: exchange.method, uri: exchange.uri, headers: headers)
    let channel = channel
    let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    let timeout = channel.eventLoop.scheduleTask(deadline: exchange.deadline) {
      bound.value.fail(.timedOut, answerStarted: true)
      channel.close(promise: nil)
    }
    handler.start { result, reusable, started in
      timeout.cancel()
      completion(result, reusable, started)
    }
    channel.write(HTTPClientRequestPart.head(head), promise: nil)
    if exchange.body.readableBytes > 0 {
      channel.write(HTTPClientRequestPart.body(.byteBuffer(exchange.body)), promise: nil)
    }
    channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
  }

  /// Closes the connection.
  func close() {
    channel.close(promise: nil)
  }
}

/// Reads one answer at a time and hands it to the exchange waiting for it.
final class UpstreamResponseHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPClientResponsePart

  private var pending: UpstreamConnection.Completion?
  private var head: HTTPResponseHead?
  private var body = ByteBuffer()
  private var answerStarted = false

  /// Waits for the next answer.
  func start(_ completion: @escaping UpstreamConnection.Completion) {
    pending = completion
    head = nil
    body.clear()
    answerStarted = false
  }

  /// Ends the exchange in flight, if any, without an answer.
  func fail(_ failure: UpstreamPool.Failure, answerStarted started: Bool) {
    guard let completion = pending else { return }
    pending = nil
    completion(.failure(failure), false, started)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let responseHead):
      answerStarted = true
      head = responseHead
    case .body(var chunk):
      guard body.readableBytes + chunk.readableBytes <= UpstreamPool.maxReplyBytes else {
        fail(.unreachable("the answer is larger than \(UpstreamPool.maxReplyBytes) bytes"), answerStarted: true)
        context.close(promise: nil)
        return
      }
      body.writeBuffer(&chunk)
    case .end:
      guard let completion = pending, let responseHead = head else { return }
      pending = nil
      let reply = UpstreamPool.Reply(status: responseHead.status, headers: responseHead.headers, body: body)
      body = ByteBuffer()
      completion(.success(reply), responseHead.isKeepAlive, true)
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    fail(.unreachable("the scoring server closed the connection before answering"), answerStarted: answerStarted)
    context.fireChannelInactive()
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    fail(.unreachable(String(describing: error)), answerStarted: answerStarted)
    context.close(promise: nil)
  }
}
