import BerthModel

/// A target that can print a service's recent log lines itself (pods' container logs), for `berth logs`.
///
/// Targets whose services write a log file on this machine record `log_file` instead and need not conform.
public protocol ServiceLogReading: Sendable {
  /// The last `tail` lines of each of the service's running replicas, each prefixed with its replica (`[pod] …`).
  func logs(_ request: LogRequest) async throws -> [String]
}

/// Which service's log, on which compute target, how many lines.
public struct LogRequest: Sendable {
  public var computeTarget: ComputeTargetSpec
  public var service: ObservedService
  public var tail: Int

  public init(computeTarget: ComputeTargetSpec, service: ObservedService, tail: Int) {
    self.computeTarget = computeTarget
    self.service = service
    self.tail = tail
  }
}
