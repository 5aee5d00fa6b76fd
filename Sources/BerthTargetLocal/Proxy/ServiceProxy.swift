import BerthProcess
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP proxy on a service's public port that sends each new connection to the backend named by a route file.
///
/// This is what makes local updates lossless: the public port never closes.
/// The deployer starts the new revision on a private port, rewrites the
/// route file, waits until `ProxyStatus` shows the old backend drained, and
/// only then stops the old revision. Each accepted connection is forwarded
/// byte for byte, in both directions, by a thread of its own (`azmlinfsrv`
/// answers `Connection: close`, so connections are short).
///
/// It binds `0.0.0.0` by default, like `azmlinfsrv` itself, so a service is
/// reachable exactly as it would be without the proxy. Backends are always
/// reached on 127.0.0.1.
public final class ServiceProxy: @unchecked Sendable {
  /// Ports, files and intervals.
  public let configuration: ServiceProxyConfiguration
  private let lock = NSLock()
  private var active: [Int: Int] = [:]
  private var accepted = 0
  private var failed = 0
  private var route: RouteWatcher
  private var listenFD: Int32 = -1
  private var boundPort: Int
  private var stopping = false
  private var lastStatus: ProxyStatus?
  private var lastWrite = ContinuousClock.now

  /// Creates a proxy; nothing is bound until `bind()`.
  public init(configuration: ServiceProxyConfiguration) {
    self.configuration = configuration
    self.route = RouteWatcher(path: configuration.routeFile)
    self.boundPort = configuration.listenPort
  }

  /// Binds and listens on the public port (with `SO_REUSEADDR`); returns the bound port.
  @discardableResult
  public func bind() throws -> Int {
    guard let address = SocketAddress.parseIPv4(configuration.bindAddress) else {
      throw ServiceProxyError("'\(configuration.bindAddress)' is not an IPv4 address")
    }
    let fd = SocketAddress.tcpSocket()
    guard fd >= 0 else { throw ServiceProxyError("cannot create a socket: \(String(cString: strerror(errno)))") }
    SocketAddress.allowAddressReuse(fd)
    guard SocketAddress.bind(fd, SocketAddress.ipv4(address, port: configuration.listenPort)) == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw ServiceProxyError("cannot listen on \(configuration.bindAddress):\(configuration.listenPort): \(reason)")
    }
    guard listen(fd, 1024) == 0 else {
      let reason = String(cString: strerror(errno))
      close(fd)
      throw ServiceProxyError("cannot listen on port \(configuration.listenPort): \(reason)")
    }
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    listenFD = fd
    boundPort = SocketAddress.boundPort(fd) ?? configuration.listenPort
    return boundPort
  }

  /// Accepts and forwards until `stopFD` becomes readable; then stops listening and lets open connections finish.
  ///
  /// Returns after the last connection closed or `drainTimeout` passed, having written a final status.
  public func serve(until stopFD: Int32) {
    let interval = configuration.statusInterval
    var nextTick = ContinuousClock.now
    publishStatus(force: true)
    while true {
      let wait = max(0, Int((nextTick - ContinuousClock.now).inSeconds * 1000))
      var fds = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0), pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)]
      let ready = poll(&fds, 2, Int32(min(wait, 1000)))
      if ready > 0, fds[1].revents != 0 { break }
      if ready > 0, fds[0].revents & Int16(POLLIN) != 0 { acceptPending() }
      if ContinuousClock.now >= nextTick {
        publishStatus(force: false)
        nextTick = ContinuousClock.now + interval
      }
    }
    close(listenFD)
    lock.withLock { stopping = true }
    let deadline = ContinuousClock.now + configuration.drainTimeout
    while openConnections() > 0, ContinuousClock.now < deadline {
      publishStatus(force: false)
      usleep(50_000)
    }
    publishStatus(force: true)
  }

  /// Runs a proxy process: binds, serves until SIGTERM or SIGINT, drains and returns.
  public static func runUntilTerminated(_ configuration: ServiceProxyConfiguration) throws {
    let stopFD = TerminationSignal.install()
    guard stopFD >= 0 else { throw ServiceProxyError("cannot create the signal pipe: \(String(cString: strerror(errno)))") }
    let proxy = ServiceProxy(configuration: configuration)
    try proxy.bind()
    proxy.serve(until: stopFD)
  }

  /// The status as of now.
  public func status() -> ProxyStatus {
    lock.withLock {
      ProxyStatus(
        pid: getpid(), listenPort: boundPort, backendPort: route.current(),
        activeConnections: Dictionary(uniqueKeysWithValues: active.map { (String($0.key), $0.value) }),
        acceptedConnections: accepted, failedConnections: failed, stopping: stopping, updatedAt: Date())
    }
  }

  // MARK: - Connections

  private func acceptPending() {
    // Bounded so that a flood of connections cannot starve status updates.
    for _ in 0..<256 {
      let client = accept(listenFD, nil, nil)
      if client < 0 {
        if errno == EINTR || errno == ECONNABORTED { continue }
        return
      }
      _ = fcntl(client, F_SETFD, FD_CLOEXEC)
      let backend: Int? = lock.withLock {
        accepted += 1
        guard let port = route.current() else {
          failed += 1
          return nil
        }
        active[port, default: 0] += 1
        return port
      }
      guard let backend else {
        close(client)
        continue
      }
      let thread = Thread { [self] in forward(client: client, backend: backend) }
      thread.stackSize = 256 * 1024
      thread.start()
    }
  }

  private func forward(client: Int32, backend: Int) {
    var port = backend
    var upstream = ProxyConnection.connect(port: port)
    if upstream < 0 {
      // The route may have moved on while this connection waited; try the current backend once.
      let moved: Int? = lock.withLock {
        guard let current = route.current(), current != port else { return nil }
        release(port)
        active[current, default: 0] += 1
        return current
      }
      if let moved {
        port = moved
        upstream = ProxyConnection.connect(port: port)
      }
    }
    guard upstream >= 0 else {
      close(client)
      lock.withLock {
        failed += 1
        release(port)
      }
      return
    }
    ProxyConnection(client: client, upstream: upstream).run()
    lock.withLock { release(port) }
  }

  /// Decrements the open count of `port`; the caller holds the lock.
  private func release(_ port: Int) {
    let left = (active[port] ?? 1) - 1
    active[port] = left > 0 ? left : nil
  }

  private func openConnections() -> Int { lock.withLock { active.values.reduce(0, +) } }

  // MARK: - Status

  private func publishStatus(force: Bool) {
    let current = status()
    let heartbeatDue = ContinuousClock.now - lastWrite >= configuration.heartbeatInterval
    guard force || heartbeatDue || lastStatus?.content != current.content else { return }
    do {
      try AtomicFile.writeJSON(current, to: configuration.statusFile)
      lastStatus = current
      lastWrite = ContinuousClock.now
    } catch {
      FileHandle.standardError.write(Data("berth proxy: \(error)\n".utf8))
    }
  }
}
