import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One forwarded TCP connection: bytes copied both ways until both sides are done.
struct ProxyConnection {
  /// The accepted client socket.
  let client: Int32
  /// The connected backend socket.
  let upstream: Int32
  /// How long the client may keep its side open after the backend finished answering.
  var lingerAfterResponse: DispatchTimeInterval = .seconds(5)

  /// A blocking TCP connection to `127.0.0.1:port`, or -1.
  static func connect(port: Int) -> Int32 {
    let fd = SocketAddress.tcpSocket()
    guard fd >= 0 else { return -1 }
    guard SocketAddress.connect(fd, SocketAddress.ipv4(SocketAddress.loopback, port: port)) == 0 else {
      close(fd)
      return -1
    }
    return fd
  }

  /// Copies client → backend on a second thread and backend → client on this one; closes both sockets.
  func run() {
    Self.disableNagle(client)
    Self.disableNagle(upstream)
    let requestDone = DispatchSemaphore(value: 0)
    let (client, upstream) = (client, upstream)
    let thread = Thread {
      Self.pump(from: client, to: upstream)
      shutdown(upstream, Int32(SHUT_WR))
      requestDone.signal()
    }
    thread.stackSize = 256 * 1024
    thread.start()
    Self.pump(from: upstream, to: client)
    shutdown(client, Int32(SHUT_WR))
    if requestDone.wait(timeout: .now() + lingerAfterResponse) == .timedOut {
      // The answer is complete but the client keeps its side open: end it so the backend can drain.
      shutdown(client, Int32(SHUT_RDWR))
      shutdown(upstream, Int32(SHUT_RDWR))
      requestDone.wait()
    }
    close(client)
    close(upstream)
  }

  /// Copies bytes until end of stream or an error on either side.
  static func pump(from source: Int32, to destination: Int32) {
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
      if count > 0 {
        guard sendAll(destination, buffer, count) else { return }
      } else if count < 0, errno == EINTR {
        continue
      } else {
        return
      }
    }
  }

  private static func sendAll(_ fd: Int32, _ buffer: [UInt8], _ count: Int) -> Bool {
    #if os(Linux)
    let flags = Int32(MSG_NOSIGNAL)
    #else
    let flags: Int32 = 0
    #endif
    var offset = 0
    while offset < count {
      let sent = buffer.withUnsafeBytes { send(fd, $0.baseAddress! + offset, count - offset, flags) }
      if sent > 0 {
        offset += sent
      } else if sent < 0, errno == EINTR {
        continue
      } else {
        return false
      }
    }
    return true
  }

  private static func disableNagle(_ fd: Int32) {
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
  }
}
