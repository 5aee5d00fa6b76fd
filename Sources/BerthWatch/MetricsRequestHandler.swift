import NIOCore
import NIOHTTP1

/// Answers one request per connection from a pure handler, then closes the connection.
final class MetricsRequestHandler: ChannelInboundHandler, @unchecked Sendable {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let handler: MetricsServer.Handler
  private let maxHeadBytes: Int
  private var pending: (MetricsServer.Response, includeBody: Bool)?

  init(handler: @escaping MetricsServer.Handler, maxHeadBytes: Int) {
    self.handler = handler
    self.maxHeadBytes = maxHeadBytes
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      let size = head.uri.utf8.count + head.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
      pending =
        size > maxHeadBytes
        ? (MetricsServer.Response(status: 431, body: "request header fields too large\n"), true)
        : MetricsServer.respond(method: head.method.rawValue, uri: head.uri, handler: handler)
    case .body:
      break  // No route reads a body.
    case .end:
      guard let (response, includeBody) = pending else { return }
      pending = nil
      write(response, includeBody: includeBody, context: context)
    }
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if event is IdleStateHandler.IdleStateEvent {
      context.close(promise: nil)
    } else {
      context.fireUserInboundEventTriggered(event)
    }
  }

  private func write(_ response: MetricsServer.Response, includeBody: Bool, context: ChannelHandlerContext) {
    let body = context.channel.allocator.buffer(string: response.body)
    var headers = HTTPHeaders([
      ("Content-Type", response.contentType), ("Content-Length", String(body.readableBytes)), ("Connection", "close"),
    ])
    for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
    let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
    context.write(wrapOutboundOut(.head(head)), promise: nil)
    if includeBody { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
    context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
  }
}
