import BerthModel

/// A compute target: checks deployment settings, reads what runs, and changes it.
///
/// Implementations live in their own modules (`BerthTargetLocal`, …); only `BerthKit` knows them.
public protocol TargetProvider: Sendable {
  /// The compute target type this provider serves.
  var type: ComputeType { get }

  /// Target-specific checks of a service before anything is built; no IO beyond reading local files.
  func validate(_ request: ValidateRequest) -> [Diagnostic]

  /// Reads many services at once (list by label, not get by name). Read-only.
  func observe(_ request: ObserveRequest) async throws -> ObserveResponse

  /// Provisions a compute target or deploys, updates, replaces or deletes one service.
  func apply(_ request: ApplyRequest) async throws -> ApplyResponse
}

/// An error from a provider, saying whether trying again could help.
public struct TargetError: Error, Hashable, Sendable, CustomStringConvertible {
  public var message: String
  public var isRetryable: Bool
  /// The last lines of the service's log when a start failed, shown under the failed action.
  public var logTail: [String]

  public init(_ message: String, isRetryable: Bool = false, logTail: [String] = []) {
    self.message = message
    self.isRetryable = isRetryable
    self.logTail = logTail
  }

  public var description: String { message }
}
