/// Starts, watches and stops scoring servers; injected so providers can be tested with a fake.
public protocol ScoringProcessControlling: Sendable {
  /// Starts a detached server and returns at once, before it is healthy.
  func launch(_ request: ScoringLaunchRequest) throws -> ScoringProcessHandle
  /// Waits until the server on `port` answers `GET /`, exits, or `timeout` passes.
  func waitUntilHealthy(port: Int, pid: Int32, timeout: Duration) async -> StartupOutcome
  /// Sends SIGTERM to the group, then SIGKILL after `grace`.
  func stop(processGroup: Int32, grace: Duration) async -> StopOutcome
  /// True when `pid` runs and is not a zombie.
  func isAlive(pid: Int32) -> Bool
}
