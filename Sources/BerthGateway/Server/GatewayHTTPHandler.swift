import NIOCore
import NIOHTTP1

/// Collects one HTTP/1.1 request, lets `ScoringGateway` answer it, writes the answer, keeps the connection.
///
/// NIO's `HTTPServerPipelineHandler` (added by `configureHTTPServerPipeline`) holds back pipelined
/// requests until the previous answer is written, so this handler sees one request at a time.
final class GatewayHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  /// The largest request body accepted (azmlinfsrv's own limit is 100 MB).
  static let maxBodyBytes = 100 << 20

  private let gateway: ScoringGateway
  private var head: HTTPRequestHead?
  private var body = ByteBuffer()
  private var tooLarge = false

  init(gateway: ScoringGateway) { self.gateway = gateway }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let requestHead):
      head = requestHead
      body.clear()
      tooLarge = false
    case .body(var chunk):
      if body.readableBytes + chunk.readableBytes > Self.maxBodyBytes {
        tooLarge = true
      } else {
        body.writeBuffer(&chunk)
      }
    case .end:
      guard let requestHead = head else { return }
      head = nil
      let keepAlive = requestHead.isKeepAlive
      if tooLarge {
        let answer = GatewayAnswer.error(.payloadTooLarge, code: "PayloadTooLarge", message: "the body exceeds 100 MB")
        write(answer, to: requestHead, keepAlive: false, context: context)
        return
      }
      let request = GatewayRequest(method: requestHead.method, uri: requestHead.uri, headers: requestHead.headers, body: body)
      body = ByteBuffer()
      // Liveness and metrics are answered here, without a hop to a task and back.
      if let answer = gateway.handleLocally(request) {
        write(answer, to: requestHead, keepAlive: keepAlive, context: context)
        return
      }
      let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
      gateway.respond(to: request, on: context.eventLoop).whenComplete { result in
        let (handler, context) = bound.value
        // `respond` turns every problem into an answer; a failed future would be a gateway bug, still answered.
        let answer =
          (try? result.get())
          ?? .error(.internalServerError, code: "InternalError", message: "the gateway could not answer")
        handler.write(answer, to: requestHead, keepAlive: keepAlive, context: context)
      }
    }
  }

  private func write(_ answer: GatewayAnswer, to request: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
    let version = request.version
    var headers = answer.headers
    headers.replaceOrAdd(name: "content-length", value: String(answer.body.readableBytes))
    if !keepAlive {
      headers.replaceOrAdd(name: "connection", value: "close")
    } else if version.major == 1 && version.minor == 0 {
      headers.replaceOrAdd(name: "connection", value: "keep-alive")
    }
    let head = HTTPResponseHead(version: version, status: answer.status, headers: headers)
    context.write(wrapOutboundOut(.head(head)), promise: nil)
    // A HEAD answer says how long the body would be, and sends none.
    if answer.body.readableBytes > 0 && request.method != .HEAD {
      context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil)
    }
    let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
    if !keepAlive {
      let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
      written.whenComplete { _ in bound.value.close(promise: nil) }
    }
  }
}
