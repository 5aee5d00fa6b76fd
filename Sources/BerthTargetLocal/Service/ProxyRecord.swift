import Foundation

/// The port proxy of a service as recorded in `proxy.json`, to find it again from a later run.
public struct ProxyRecord: Sendable, Hashable, Codable {
  /// The proxy's pid; it leads its own session and process group.
  public var pid: Int32
  /// Kernel start time of `pid`, to detect pid reuse (Linux; `nil` elsewhere).
  public var startTime: UInt64?
  /// The public port.
  public var port: Int
  /// When it was started.
  public var startedAt: Date

  /// Creates a record.
  public init(pid: Int32, startTime: UInt64?, port: Int, startedAt: Date) {
    self.pid = pid
    self.startTime = startTime
    self.port = port
    self.startedAt = startedAt
  }

  /// True when the recorded process still runs (same pid and start time).
  public var isAlive: Bool { ProcessLiveness.isAlive(pid: pid, startTime: startTime) }

  /// Reads `proxy.json`; `nil` when missing or unreadable.
  public static func read(_ path: String) -> ProxyRecord? { AtomicFile.readJSON(ProxyRecord.self, from: path) }

  enum CodingKeys: String, CodingKey {
    case pid
    case startTime = "start_time"
    case port
    case startedAt = "started_at"
  }
}
