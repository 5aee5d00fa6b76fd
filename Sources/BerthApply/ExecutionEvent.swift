import BerthModel
import BerthPlan

/// Something that happened during an apply, for progress output and logs.
public enum ExecutionEvent: Sendable, Equatable {
  case started(ResourceAddress, ActionKind)
  case progress(ResourceAddress, String)
  /// Emitted periodically while a long action runs.
  case stillRunning(ResourceAddress, ActionKind, seconds: Int)
  case retrying(ResourceAddress, attempt: Int, error: String)
  case succeeded(ResourceAddress, ActionKind, message: String, seconds: Double)
  /// A warning from the target about an action that succeeded (emitted just before `succeeded`).
  case warned(ResourceAddress, Diagnostic)
  case failed(ResourceAddress, ActionKind, error: String, logTail: [String])
  case skipped(ResourceAddress, ActionKind, because: String)
}

/// How an apply ended, action by action.
public struct ExecutionSummary: Sendable, Equatable {
  public var succeeded: [ResourceAddress] = []
  public var failed: [ResourceAddress: String] = [:]
  public var skipped: [ResourceAddress: String] = [:]

  public init() {}

  public var isSuccess: Bool { failed.isEmpty && skipped.isEmpty }
}
