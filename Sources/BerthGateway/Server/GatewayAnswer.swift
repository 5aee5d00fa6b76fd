import Foundation
import NIOCore
import NIOHTTP1

/// One request as the gateway sees it once its body has arrived.
public struct GatewayRequest: Sendable {
  /// The method.
  public var method: HTTPMethod
  /// The path with its query.
  public var uri: String
  /// The headers.
  public var headers: HTTPHeaders
  /// The body.
  public var body: ByteBuffer

  /// Creates a request.
  public init(method: HTTPMethod, uri: String, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
    self.method = method
    self.uri = uri
    self.headers = headers
    self.body = body
  }

  /// The path without the query.
  public var path: Substring { uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0] }
}

/// One answer.
public struct GatewayAnswer: Sendable {
  /// The status.
  public var status: HTTPResponseStatus
  /// The headers (`content-length` and `connection` are added when writing).
  public var headers: HTTPHeaders
  /// The body.
  public var body: ByteBuffer

  /// Creates an answer.
  public init(status: HTTPResponseStatus, headers: HTTPHeaders = [:], body: ByteBuffer = ByteBuffer()) {
    self.status = status
    self.headers = headers
    self.body = body
  }

  /// A text answer.
  static func text(_ status: HTTPResponseStatus, _ text: String, contentType: String = "text/plain; charset=utf-8")
    -> GatewayAnswer
  {
    GatewayAnswer(status: status, headers: ["content-type": contentType], body: ByteBuffer(string: text))
  }

  /// An error answer with a JSON body `{"error": {"code": …, "message": …}}`.
  static func error(_ status: HTTPResponseStatus, code: String, message: String) -> GatewayAnswer {
    let object: [String: Any] = ["error": ["code": code, "message": message]]
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return GatewayAnswer(
      status: status, headers: ["content-type": "application/json"], body: ByteBuffer(bytes: data))
  }
}
