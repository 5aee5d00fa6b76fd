#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// IPv4 socket plumbing shared by the port probe and the loopback HTTP client.
enum SocketAddress {
  /// The loopback address, `127.0.0.1`.
  static let loopback: UInt32 = 0x7F00_0001
  /// The wildcard address, `0.0.0.0`.
  static let any: UInt32 = 0

  /// An IPv4 `sockaddr_in` for `address` (host byte order) and `port`.
  static func ipv4(_ address: UInt32, port: Int) -> sockaddr_in {
    var socketAddress = sockaddr_in()
    socketAddress.sin_family = sa_family_t(AF_INET)
    socketAddress.sin_port = in_port_t(UInt16(truncatingIfNeeded: port)).bigEndian
    socketAddress.sin_addr = in_addr(s_addr: address.bigEndian)
    return socketAddress
  }

  /// Parses dotted IPv4 text (`0.0.0.0`, `127.0.0.1`) into a host-order address.
  static func parseIPv4(_ text: String) -> UInt32? {
    var address = in_addr()
    guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
    return UInt32(bigEndian: address.s_addr)
  }

  /// A new TCP socket that closes on exec, or -1.
  static func tcpSocket() -> Int32 {
    #if os(Linux)
    socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    #else
    socket(AF_INET, SOCK_STREAM, 0)
    #endif
  }

  /// Calls `bind` with `address`; returns the raw result.
  static func bind(_ fd: Int32, _ address: sockaddr_in) -> Int32 {
    var address = address
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        #if os(Linux)
        Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        #else
        Darwin.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        #endif
      }
    }
  }

  /// Calls `connect` with `address`; returns the raw result.
  static func connect(_ fd: Int32, _ address: sockaddr_in) -> Int32 {
    var address = address
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        #if os(Linux)
        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        #else
        Darwin.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        #endif
      }
    }
  }

  /// The port a bound socket got, or `nil`.
  static func boundPort(_ fd: Int32) -> Int? {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let result = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return result == 0 ? Int(UInt16(bigEndian: address.sin_port)) : nil
  }

  /// Sets `SO_REUSEADDR`, which lets a bind succeed over TIME_WAIT connections (as the server's own bind does).
  static func allowAddressReuse(_ fd: Int32) {
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
  }

  /// Sets send and receive timeouts on `fd`.
  static func setTimeouts(_ fd: Int32, _ timeout: Duration) {
    let (seconds, attoseconds) = timeout.components
    var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
  }
}
