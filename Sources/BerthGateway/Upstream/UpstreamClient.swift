import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// Sends scoring requests to `azmlinfsrv` servers.
///
/// AsyncHTTPClient, not a hand-made NIO client: it already pools keep-alive connections per host,
/// bounds connections, enforces a deadline per request (the scoring timeout) and closes the
/// connection of a request it cuts, so a late answer can never be read by the next request. It is
/// already linked for the registry and Kubernetes clients. The cost is one extra task hop per request,
/// measured in docs/benchmarks.md against bare `azmlinfsrv`.
public final class UpstreamClient: Sendable {
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
  public enum Failure: Error, Sendable {
    /// The scoring timeout passed first.
    case timedOut
    /// No connection, or the connection broke before an answer (the server crashed or is not there).
    case unreachable(String)
  }

  /// The most bytes of an answer the gateway reads (azmlinfsrv answers are JSON).
  public static let maxReplyBytes = 100 << 20
  private let client: HTTPClient

  /// Creates a client on `eventLoopGroup`, at most `connectionsPerHost` connections to one server.
  public init(eventLoopGroup: any EventLoopGroup, connectionsPerHost: Int = 64) {
    var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
    configuration.timeout = .init(connect: .seconds(5))
    configuration.connectionPool = .init(
      idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
    configuration.decompression = .disabled
    client = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: configuration)
  }

  /// Sends one request to `upstream` and reads the whole answer, within `timeout`.
  public func send(
    to upstream: UpstreamAddress, method: HTTPMethod, uri: String, headers: HTTPHeaders, body: ByteBuffer,
    timeout: TimeAmount
  ) async throws(Failure) -> Reply {
    var request = HTTPClientRequest(url: upstream.baseURL + uri)
    request.method = method
    request.headers = headers
    if method != .GET || body.readableBytes > 0 { request.body = .bytes(body) }
    let deadline = NIODeadline.now() + timeout
    do {
      let response = try await client.execute(request, deadline: deadline)
      let body = try await response.body.collect(upTo: Self.maxReplyBytes)
      return Reply(status: response.status, headers: response.headers, body: body)
    } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
      throw .timedOut
    } catch {
      if NIODeadline.now() >= deadline { throw .timedOut }
      throw .unreachable(String(describing: error))
    }
  }

  /// Closes every pooled connection.
  public func shutdown() async {
    try? await client.shutdown()
  }
}
