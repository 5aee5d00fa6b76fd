#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks whether TCP ports can be listened on, without sending any traffic.
public enum PortProbe {
  /// True when `port` can be bound on both 127.0.0.1 and 0.0.0.0 (the scoring server binds the latter).
  public static func isFree(port: Int) -> Bool {
    guard (1...65535).contains(port) else { return false }
    return canBind(SocketAddress.loopback, port: port) && canBind(SocketAddress.any, port: port)
  }

  /// A port the kernel considers free right now; another process may still take it before you do.
  public static func findFreePort() -> Int? {
    for _ in 0..<32 {
      if let port = kernelAssignedPort(), isFree(port: port) { return port }
    }
    return nil
  }

  private static func kernelAssignedPort() -> Int? {
    let fd = SocketAddress.tcpSocket()
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    guard SocketAddress.bind(fd, SocketAddress.ipv4(SocketAddress.loopback, port: 0)) == 0 else { return nil }
    return SocketAddress.boundPort(fd)
  }

  /// A free port in `range`, scanning from its start; `nil` when all are taken.
  public static func findFreePort(in range: ClosedRange<Int>) -> Int? {
    range.first(where: isFree(port:))
  }

  private static func canBind(_ address: UInt32, port: Int) -> Bool {
    let fd = SocketAddress.tcpSocket()
    guard fd >= 0 else { return false }
    defer { close(fd) }
    SocketAddress.allowAddressReuse(fd)
    return SocketAddress.bind(fd, SocketAddress.ipv4(address, port: port)) == 0
  }
}
