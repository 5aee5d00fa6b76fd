import Foundation

@testable import BerthTargetLocal

#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP server on 127.0.0.1 that answers every request with its name; `GET /slow` waits first.
final class FakeBackend: @unchecked Sendable {
  let name: String
  let port: Int
  private let fd: Int32
  private let slowDelay: TimeInterval

  init(name: String, slowDelay: TimeInterval = 0.8) throws {
    self.name = name
    self.slowDelay = slowDelay
    fd = SocketAddress.tcpSocket()
    SocketAddress.allowAddressReuse(fd)
    guard SocketAddress.bind(fd, SocketAddress.ipv4(SocketAddress.loopback, port: 0)) == 0, listen(fd, 64) == 0,
      let bound = SocketAddress.boundPort(fd)
    else { throw LoopbackHTTPError.socket(errno) }
    port = bound
    let thread = Thread { [self] in acceptLoop() }
    thread.start()
  }

  /// Stops accepting; later connections are refused.
  func stop() {
    shutdown(fd, Int32(SHUT_RDWR))
    close(fd)
  }

  private func acceptLoop() {
    while true {
      let client = accept(fd, nil, nil)
      if client < 0 {
        if errno == EINTR { continue }
        return
      }
      Thread { [self] in answer(client) }.start()
    }
  }

  private func answer(_ client: Int32) {
    var head = Data()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while head.range(of: Data("\r\n\r\n".utf8)) == nil {
      let count = read(client, &buffer, buffer.count)
      if count <= 0 { break }
      head.append(contentsOf: buffer[0..<count])
    }
    if String(decoding: head, as: UTF8.self).hasPrefix("GET /slow") { Thread.sleep(forTimeInterval: slowDelay) }
    let response = "HTTP/1.1 200 OK\r\nContent-Length: \(name.utf8.count)\r\nConnection: close\r\n\r\n\(name)"
    _ = response.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    close(client)
  }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func eventually(timeout: TimeInterval = 5, _ condition: () -> Bool) -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while Date() < deadline {
    if condition() { return true }
    Thread.sleep(forTimeInterval: 0.02)
  }
  return condition()
}
