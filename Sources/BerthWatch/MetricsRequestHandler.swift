import Foundation
import NIOCore
import NIOHTTP1

/// Answers one request per connection from a pure handler, then closes the connection.
final class MetricsRequestHandler: ChannelInboundHandler, @unchecked Sendable {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  private let handler: MetricsServer.Handler
  private let maxHeadBytes: Int
  private let maxBodyBytes: Int
  private var head: HTTPRequestHead?
  private var body = Data()
  /// An answer decided before the body arrived (too large a head or body).
  private var early: MetricsServer.Response?

  init(handler: @escaping MetricsServer.Handler, maxHeadBytes: Int, maxBodyBytes: Int) {
    self.handler = handler
    self.maxHeadBytes = maxHeadBytes
    self.maxBodyBytes = maxBodyBytes
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      let size = head.uri.utf8.count + head.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
      self.head = head
      body = Data()
      early = size > maxHeadBytes ? MetricsServer.Response(status: 431, body: "request header fields too large\n") : nil
    case .body(var bytes):
      guard early == nil, head?.method == .POST else { return }  // Only a POST route reads its body.
      if body.count + bytes.readableBytes > maxBodyBytes {
        early = MetricsServer.Response(status: 413, body: "request body too large\n")
        body = Data()
        return
      }
      if let chunk = bytes.readBytes(length: bytes.readableBytes) { body.append(contentsOf: chunk) }
    case .end:
      guard let head else { return }
      self.head = nil
      if let early {
        write(early, includeBody: true, context: context)
        return
      }
      var headers: [String: String] = [:]
      for (name, value) in head.headers { headers[name.lowercased()] = value }
      let (response, includeBody) = MetricsServer.respond(
        method: head.method.rawValue, uri: head.uri, headers: headers, body: body, handler: handler)
      body = Data()
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
