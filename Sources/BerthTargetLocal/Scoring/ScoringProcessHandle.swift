import Foundation

/// Identifies a started scoring server, durable enough to find it again from a later CLI run.
public struct ScoringProcessHandle: Sendable, Hashable, Codable {
  /// The server's pid (the gunicorn master).
  public var pid: Int32
  /// Its process group (equal to `pid`: it leads its own session).
  public var processGroup: Int32
  /// Kernel start time of `pid`, to detect pid reuse (Linux; `nil` elsewhere).
  public var startTime: UInt64?
  /// The port it listens on.
  public var port: Int
  /// The file its output is appended to.
  public var logFile: String
  /// When it was started.
  public var startedAt: Date

  /// Creates a handle.
  public init(pid: Int32, processGroup: Int32, startTime: UInt64?, port: Int, logFile: String, startedAt: Date) {
    self.pid = pid
    self.processGroup = processGroup
    self.startTime = startTime
    self.port = port
    self.logFile = logFile
    self.startedAt = startedAt
  }
}
