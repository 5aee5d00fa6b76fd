import Foundation

/// A gateway process as it was started, in `process.json`, to find it again from a later run.
public struct GatewayProcessRecord: Sendable, Hashable, Codable {
  /// The gateway's pid; it leads its own session and process group.
  public var pid: Int32
  /// Kernel start time of `pid`, to detect pid reuse (Linux; `nil` elsewhere).
  public var startTime: UInt64?
  /// When it was started.
  public var startedAt: Date

  public init(pid: Int32, startTime: UInt64?, startedAt: Date) {
    self.pid = pid
    self.startTime = startTime
    self.startedAt = startedAt
  }

  /// True when the recorded process still runs (same pid and start time).
  public var isAlive: Bool { ProcessLiveness.isAlive(pid: pid, startTime: startTime) }

  /// Reads `process.json`; `nil` when missing or unreadable.
  public static func read(_ path: String) -> GatewayProcessRecord? {
    AtomicFile.readJSON(GatewayProcessRecord.self, from: path)
  }

  enum CodingKeys: String, CodingKey {
    case pid
    case startTime = "start_time"
    case startedAt = "started_at"
  }
}
