/// How waiting for a freshly started scoring server ended.
public enum StartupOutcome: Sendable, Equatable {
  /// `GET /` answered 200 this long after waiting began.
  case healthy(after: Duration)
  /// The server exited first; `code` is its exit status (3: `init()` failed),
  /// `128 + signal` when killed, `nil` when it was not our child and the status is unknown.
  case exited(code: Int32?)
  /// Neither happened before the timeout; the server is still running.
  case timedOut
}

/// How stopping a scoring server's process group ended.
public enum StopOutcome: Sendable, Equatable {
  /// No live process was left in the group to begin with.
  case notRunning
  /// Every process exited after SIGTERM within the grace period.
  case terminated(after: Duration)
  /// Some processes needed SIGKILL after the grace period.
  case killed
  /// Processes survived even SIGKILL (should not happen; reported, not hidden).
  case stillRunning(pids: [Int32])
}
