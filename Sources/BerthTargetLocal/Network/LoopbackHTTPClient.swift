import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A response read by `LoopbackHTTPClient`.
public struct LoopbackHTTPResponse: Sendable, Equatable {
  /// The status code, e.g. 200.
  public var status: Int
  /// Header fields with lowercased names.
  public var headers: [String: String]
  /// The body, de-chunked.
  public var body: Data

  /// The body decoded as UTF-8.
  public var text: String { String(decoding: body, as: UTF8.self) }
}

/// A minimal blocking HTTP/1.1 client that only talks to 127.0.0.1.
///
/// Enough for liveness probes and scoring calls against a local server,
/// without FoundationNetworking. One request per connection
/// (`Connection: close`); bodies may be sized or chunked.
///
/// Why it stays hand-written although AsyncHTTPClient is in the package: the local target probes `GET /` from
/// blocking code that already runs on threads of its own (health waits beside `waitpid`, teardown, observation),
/// and the rollout tells "not listening yet" (ECONNREFUSED) from "answered 503" from "timed out" by the socket's
/// own error. AsyncHTTPClient would bring an event-loop group into every local command for requests to
/// 127.0.0.1 and hide those errors behind its connection pool; this module links no NIO at all.
public struct LoopbackHTTPClient: Sendable {
  /// Limit for connecting, sending and each read.
  public var timeout: Duration

  /// Creates a client with a per-operation `timeout`.
  public init(timeout: Duration = .seconds(5)) {
    self.timeout = timeout
  }

  /// Sends `GET path` to `127.0.0.1:port`.
  public func get(port: Int, path: String = "/") throws -> LoopbackHTTPResponse {
    try send("GET", port: port, path: path)
  }

  /// Sends `POST path` with a JSON `body` to `127.0.0.1:port`.
  public func postJSON(port: Int, path: String = "/score", body: String, headers: [String: String] = [:])
    throws -> LoopbackHTTPResponse
  {
    try send(
      "POST", port: port, path: path, headers: headers.merging(["Content-Type": "application/json"]) { a, _ in a },
      body: Data(body.utf8))
  }

  /// Sends one request and reads the whole response; throws `LoopbackHTTPError` on socket or protocol failure.
  public func send(
    _ method: String, port: Int, path: String, headers: [String: String] = [:], body: Data? = nil
  ) throws -> LoopbackHTTPResponse {
    let fd = SocketAddress.tcpSocket()
    guard fd >= 0 else { throw LoopbackHTTPError.socket(errno) }
    defer { close(fd) }
    SocketAddress.setTimeouts(fd, timeout)
    guard SocketAddress.connect(fd, SocketAddress.ipv4(SocketAddress.loopback, port: port)) == 0 else {
      throw LoopbackHTTPError.connect(errno)
    }
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nUser-Agent: berth\r\n"
    for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
    if let body { head += "Content-Length: \(body.count)\r\n" }
    head += "\r\n"
    try writeAll(fd, Data(head.utf8) + (body ?? Data()))
    return try Self.parse(readAll(fd))
  }

  private func writeAll(_ fd: Int32, _ data: Data) throws {
    try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
      var offset = 0
      while offset < bytes.count {
        let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          throw LoopbackHTTPError.io(errno)
        }
        offset += written
      }
    }
  }

  private func readAll(_ fd: Int32) throws -> Data {
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 16384)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if count > 0 {
        data.append(contentsOf: buffer[0..<count])
      } else if count == 0 {
        return data
      } else if errno == EINTR {
        continue
      } else if errno == EAGAIN || errno == EWOULDBLOCK {
        throw LoopbackHTTPError.timedOut
      } else if errno == ECONNRESET, !data.isEmpty {
        return data
      } else {
        throw LoopbackHTTPError.io(errno)
      }
    }
  }

  static func parse(_ data: Data) throws -> LoopbackHTTPResponse {
    guard let split = data.range(of: Data("\r\n\r\n".utf8)) else { throw LoopbackHTTPError.malformed }
    let lines = String(decoding: data[data.startIndex..<split.lowerBound], as: UTF8.self)
      .components(separatedBy: "\r\n")
    let statusParts = lines.first?.split(separator: " ") ?? []
    guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/"), let status = Int(statusParts[1]) else {
      throw LoopbackHTTPError.malformed
    }
    var headers: [String: String] = [:]
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var body = Data(data[split.upperBound...])
    if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
      body = try dechunk(body)
    } else if let length = headers["content-length"].flatMap(Int.init), length <= body.count {
      body = body.prefix(length)
    }
    return LoopbackHTTPResponse(status: status, headers: headers, body: body)
  }

  private static func dechunk(_ data: Data) throws -> Data {
    var output = Data()
    var rest = data[...]
    let crlf = Data("\r\n".utf8)
    while let lineEnd = rest.range(of: crlf) {
      let sizeText = String(decoding: rest[rest.startIndex..<lineEnd.lowerBound], as: UTF8.self)
      guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else {
        throw LoopbackHTTPError.malformed
      }
      if size == 0 { return output }
      let start = lineEnd.upperBound
      guard rest.distance(from: start, to: rest.endIndex) >= size else { throw LoopbackHTTPError.malformed }
      let end = rest.index(start, offsetBy: size)
      output.append(rest[start..<end])
      rest = rest[end...].dropFirst(2)
    }
    return output
  }
}

/// Why a loopback HTTP request failed.
public enum LoopbackHTTPError: Error, Sendable, Equatable, CustomStringConvertible {
  /// No socket could be created (errno).
  case socket(Int32)
  /// Connecting failed (errno), usually ECONNREFUSED: nothing listens yet.
  case connect(Int32)
  /// Reading or writing failed (errno).
  case io(Int32)
  /// The server did not answer within the timeout.
  case timedOut
  /// The response was not HTTP/1.x.
  case malformed

  /// A short human-readable reason.
  public var description: String {
    switch self {
    case .socket(let code): "cannot create socket: \(String(cString: strerror(code)))"
    case .connect(let code): "cannot connect: \(String(cString: strerror(code)))"
    case .io(let code): "connection failed: \(String(cString: strerror(code)))"
    case .timedOut: "no response before the timeout"
    case .malformed: "response is not valid HTTP"
    }
  }
}
