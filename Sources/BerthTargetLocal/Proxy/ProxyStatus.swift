import Foundation

/// What a running service proxy reports about itself; rewritten whenever it changes (checked every ~100 ms).
///
/// The deployer reads it to learn that the proxy has picked up a new route and
/// that an old backend has no open connections left before stopping it.
public struct ProxyStatus: Sendable, Hashable, Codable {
  /// The proxy's pid.
  public var pid: Int32
  /// The public port it listens on.
  public var listenPort: Int
  /// The backend port new connections go to; `nil` while the route file is missing or unreadable.
  public var backendPort: Int?
  /// Open connections by backend port (decimal string keys, as JSON needs).
  public var activeConnections: [String: Int]
  /// Connections accepted since the proxy started.
  public var acceptedConnections: Int
  /// Connections closed unanswered because no backend could be reached.
  public var failedConnections: Int
  /// True once SIGTERM arrived: the listener is closed and open connections are draining.
  public var stopping: Bool
  /// When this status was taken.
  public var updatedAt: Date

  /// Creates a status value.
  public init(
    pid: Int32, listenPort: Int, backendPort: Int?, activeConnections: [String: Int] = [:], acceptedConnections: Int = 0,
    failedConnections: Int = 0, stopping: Bool = false, updatedAt: Date = Date()
  ) {
    self.pid = pid
    self.listenPort = listenPort
    self.backendPort = backendPort
    self.activeConnections = activeConnections
    self.acceptedConnections = acceptedConnections
    self.failedConnections = failedConnections
    self.stopping = stopping
    self.updatedAt = updatedAt
  }

  /// Open connections to `port`.
  public func active(onBackend port: Int) -> Int { activeConnections[String(port)] ?? 0 }

  /// Reads the status file at `path`; `nil` when it is missing or unreadable.
  public static func read(_ path: String) -> ProxyStatus? { AtomicFile.readJSON(ProxyStatus.self, from: path) }

  /// The same status without its timestamp, to tell whether anything changed.
  var content: ProxyStatus {
    var copy = self
    copy.updatedAt = Date(timeIntervalSince1970: 0)
    return copy
  }

  enum CodingKeys: String, CodingKey {
    case pid
    case listenPort = "listen_port"
    case backendPort = "backend_port"
    case activeConnections = "active_connections"
    case acceptedConnections = "accepted_connections"
    case failedConnections = "failed_connections"
    case stopping
    case updatedAt = "updated_at"
  }
}
