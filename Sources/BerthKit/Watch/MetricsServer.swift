import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 server for `/healthz` and `/metrics`: raw IPv4 sockets, one thread per connection.
///
/// Requests are bounded (`maxRequestBytes` of head, no body read, a read timeout) and so is the
/// number of connections served at once; each response closes its connection. The answers come
/// from `handler`, a pure function, so routing is tested without sockets.
public final class MetricsServer: @unchecked Sendable {
  /// The parts of a request the handler sees.
  public struct Request: Sendable, Equatable {
    public var method: String
    /// The path without the query string.
    public var path: String

    public init(method: String, path: String) {
      self.method = method
      self.path = path
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
  /// Connections served at once; more are closed at once.
  public static let maxConnections = 32
  /// How long a client may take to send its request.
  public static let readTimeout: Duration = .seconds(5)

  public let host: String
  public let requestedPort: Int
  private let handler: Handler
  private let lock = NSLock()
  private var listenFD: Int32 = -1
  private var stopPipe: [Int32] = [-1, -1]
  private var open = 0
  private var acceptDone: DispatchSemaphore?

  public init(host: String, port: Int, handler: @escaping Handler) {
    self.host = host
    self.requestedPort = port
    self.handler = handler
  }

  /// Binds, listens and starts accepting on a thread of its own; returns the bound port (useful with port 0).
  @discardableResult
  public func start() throws -> Int {
    var address = in_addr()
    guard inet_pton(AF_INET, host, &address) == 1 else { throw MetricsServerError("'\(host)' is not an IPv4 address") }
    #if os(Linux)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw MetricsServerError("cannot create a socket: \(Self.lastError())") }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var socketAddress = sockaddr_in()
    socketAddress.sin_family = sa_family_t(AF_INET)
    socketAddress.sin_port = in_port_t(UInt16(truncatingIfNeeded: requestedPort)).bigEndian
    socketAddress.sin_addr = address
    let bound = withUnsafePointer(to: &socketAddress) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(fd, 64) == 0 else {
      let reason = Self.lastError()
      close(fd)
      throw MetricsServerError("cannot listen on \(host):\(requestedPort): \(reason)")
    }
    var pipeFDs: [Int32] = [-1, -1]
    guard pipe(&pipeFDs) == 0 else {
      close(fd)
      throw MetricsServerError("cannot create a pipe: \(Self.lastError())")
    }
    for descriptor in pipeFDs + [fd] { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    let port = Self.boundPort(fd) ?? requestedPort
    let done = DispatchSemaphore(value: 0)
    lock.withLock {
      listenFD = fd
      stopPipe = pipeFDs
      acceptDone = done
    }
    let stopFD = pipeFDs[0]
    let thread = Thread { [self] in
      acceptLoop(fd, stopFD: stopFD)
      done.signal()
    }
    thread.name = "berth-metrics-accept"
    thread.start()
    return port
  }

  /// Stops accepting and closes the listening socket; connections being answered finish on their own.
  public func stop() {
    let (writeFD, done) = lock.withLock { () -> (Int32, DispatchSemaphore?) in
      defer { acceptDone = nil }
      return (stopPipe[1], acceptDone)
    }
    guard let done else { return }
    var byte: UInt8 = 1
    _ = write(writeFD, &byte, 1)
    done.wait()
    lock.withLock {
      close(listenFD)
      close(stopPipe[0])
      close(stopPipe[1])
      listenFD = -1
    }
  }

  private func acceptLoop(_ fd: Int32, stopFD: Int32) {
    while true {
      var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
      let ready = poll(&fds, 2, -1)
      if ready < 0 {
        if errno == EINTR { continue }
        return
      }
      if fds[1].revents != 0 { return }
      guard fds[0].revents & Int16(POLLIN) != 0 else { continue }
      while true {
        let client = accept(fd, nil, nil)
        if client < 0 {
          if errno == EINTR || errno == ECONNABORTED { continue }
          break
        }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(client, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        let admitted = lock.withLock { () -> Bool in
          guard open < Self.maxConnections else { return false }
          open += 1
          return true
        }
        guard admitted else {
          close(client)
          continue
        }
        let thread = Thread { [self] in
          serve(client)
          lock.withLock { open -= 1 }
        }
        thread.stackSize = 256 * 1024
        thread.start()
      }
    }
  }

  // MARK: - One connection

  private func serve(_ client: Int32) {
    defer { close(client) }
    let (seconds, attoseconds) = Self.readTimeout.components
    var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    let response: Response
    var includeBody = true
    switch readHead(client) {
    case .head(let head):
      (response, includeBody) = Self.respond(toHead: head, handler: handler)
    case .tooLarge:
      response = Response(status: 431, body: "request header too large\n")
    case .closed:
      return
    }
    sendAll(Self.encode(response, includeBody: includeBody), to: client)
    shutdown(client, Int32(SHUT_WR))
    drain(client)
  }

  /// Reads what the client still sends (a body, the rest of an oversized head) until it closes, for at most
  /// a second and 64 KiB: closing with unread input would reset the connection and could lose the response.
  private func drain(_ client: Int32) {
    var timeout = timeval(tv_sec: 1, tv_usec: 0)
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var buffer = [UInt8](repeating: 0, count: 4096)
    var total = 0
    while total < 65536 {
      let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
      if count < 0, errno == EINTR { continue }
      guard count > 0 else { return }
      total += count
    }
  }

  private enum HeadRead {
    case head(String)
    case tooLarge
    case closed
  }

  private func readHead(_ client: Int32) -> HeadRead {
    var data = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 2048)
    let end: [UInt8] = Array("\r\n\r\n".utf8)
    while true {
      let count = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
      if count < 0, errno == EINTR { continue }
      guard count > 0 else { return .closed }
      data += buffer[0..<count]
      if let range = Self.find(end, in: data) { return .head(String(decoding: data[..<range], as: UTF8.self)) }
      if data.count > Self.maxRequestBytes { return .tooLarge }
    }
  }

  private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    for start in 0...(haystack.count - needle.count) where haystack[start..<start + needle.count].elementsEqual(needle) {
      return start
    }
    return nil
  }

  /// Parses the request line and asks `handler`; bad requests and methods other than GET and HEAD are answered here.
  /// The flag is false for HEAD: headers only.
  static func respond(toHead head: String, handler: Handler) -> (Response, includeBody: Bool) {
    let requestLine = head.split(separator: "\r\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    let parts = requestLine.split(separator: " ")
    guard parts.count == 3, parts[2].hasPrefix("HTTP/1."), parts[1].hasPrefix("/") else {
      return (Response(status: 400, body: "bad request\n"), true)
    }
    let method = String(parts[0])
    guard method == "GET" || method == "HEAD" else {
      return (Response(status: 405, body: "method not allowed\n", headers: ["Allow": "GET, HEAD"]), true)
    }
    let path = String(parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "/")
    return (handler(Request(method: method, path: path)), method != "HEAD")
  }

  static func encode(_ response: Response, includeBody: Bool) -> [UInt8] {
    let body = Array(response.body.utf8)
    var head = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
    head += "Content-Type: \(response.contentType)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
    for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) {
      head += "\(name): \(value)\r\n"
    }
    head += "\r\n"
    return Array(head.utf8) + (includeBody ? body : [])
  }

  static func reason(_ status: Int) -> String {
    switch status {
    case 200: "OK"
    case 400: "Bad Request"
    case 404: "Not Found"
    case 405: "Method Not Allowed"
    case 431: "Request Header Fields Too Large"
    case 503: "Service Unavailable"
    default: "Status"
    }
  }

  /// Writes everything, or gives up on an error; never raises SIGPIPE.
  private func sendAll(_ bytes: [UInt8], to client: Int32) {
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { buffer in
        #if os(Linux)
        send(client, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
        #else
        send(client, buffer.baseAddress! + offset, buffer.count - offset, 0)
        #endif
      }
      if written < 0 {
        if errno == EINTR { continue }
        return
      }
      offset += written
    }
  }

  private static func boundPort(_ fd: Int32) -> Int? {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let result = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return result == 0 ? Int(UInt16(bigEndian: address.sin_port)) : nil
  }

  private static func lastError() -> String { String(cString: strerror(errno)) }
}

/// Why the metrics server could not start.
public struct MetricsServerError: Error, CustomStringConvertible, Equatable {
  public var description: String

  public init(_ description: String) {
    self.description = description
  }
}
