import BerthPlan
import Foundation

/// What an apply was attempted with: the same key means the same manifests and files against the same state.
public struct ApplyKey: Hashable, Sendable, CustomStringConvertible {
  /// `plan.fingerprint.inputsDigest`: every manifest file and every content digest.
  public var inputsDigest: String
  /// The state serial.
  public var stateSerial: Int64

  public init(inputsDigest: String, stateSerial: Int64) {
    self.inputsDigest = inputsDigest
    self.stateSerial = stateSerial
  }

  /// The key of a plan: its inputs digest and the serial it was planned against.
  public init(_ fingerprint: PlanFingerprint) {
    self.init(inputsDigest: fingerprint.inputsDigest, stateSerial: fingerprint.stateSerial)
  }

  public var description: String { "\(inputsDigest.prefix(12))@\(stateSerial)" }
}

/// The timing rules of `berth watch` as a value: jitter, backoff, and no retry storm.
///
/// One formula serves two purposes: `backoff(n) = interval × min(2ⁿ, 10)`.
///
/// - A cycle that cannot plan (invalid manifests, a plan with errors, unreadable state) delays the
///   next one: after `n` such cycles in a row the next starts after `backoff(n)`. A cycle that
///   plans resets `n` to 0.
/// - An apply that fails holds back its inputs: a later plan with the same `ApplyKey` (the inputs
///   digest, and the state serial the failed apply left behind, since recording failed actions moves
///   the serial) is not applied before `failedAt + backoff(attempts)`, `attempts` counting the
///   failed applies of those inputs in a row. Cycles keep running every interval meanwhile
///   (observing, reporting, updating metrics); a change to the manifests, to the files they name,
///   or to the state gives a new key, applied at the next cycle.
///
/// Every delay gets a jitter of ±10 % of the interval, so that watchers started together spread out.
public struct WatchSchedule: Sendable, Equatable {
  /// The fraction of the interval added or removed at random.
  public static let jitterFraction = 0.1
  /// The longest backoff, in intervals.
  public static let maxBackoffFactor = 10.0

  /// An apply that failed, and when the same inputs may be applied again.
  public struct FailedApply: Sendable, Equatable {
    /// The inputs digest and the serial the failed apply left behind.
    public var key: ApplyKey
    public var failedAt: Date
    /// Failed applies of these inputs in a row (1 after the first failure).
    public var attempts: Int
    public var retryAt: Date
  }

  /// Whether a plan may be applied now.
  public enum ApplyDecision: Sendable, Equatable {
    case apply
    /// The same inputs failed; not before `until`.
    case holdBack(until: Date, attempts: Int)
  }

  public var interval: TimeInterval
  /// Cycles in a row that could not plan.
  public private(set) var consecutiveErrors = 0
  /// The last failed apply, until an apply succeeds.
  public private(set) var failedApply: FailedApply?

  public init(interval: TimeInterval) {
    self.interval = interval
  }

  /// `interval × min(2ⁿ, 10)`; the interval itself for `n ≤ 0`.
  public func backoff(_ n: Int) -> TimeInterval {
    guard n > 0 else { return interval }
    return interval * min(pow(2, Double(min(n, 62))), Self.maxBackoffFactor)
  }

  /// The wait before the next cycle; `random` is uniform in [0, 1) and maps to a jitter of −10 % … +10 % of the interval.
  public func nextDelay(random: Double) -> TimeInterval {
    let jitter = (min(max(random, 0), 1) * 2 - 1) * Self.jitterFraction * interval
    return max(0, backoff(consecutiveErrors) + jitter)
  }

  /// Apply unless these very inputs failed and their backoff has not passed.
  public func decide(_ key: ApplyKey, now: Date) -> ApplyDecision {
    guard let failedApply, failedApply.key == key, now < failedApply.retryAt else { return .apply }
    return .holdBack(until: failedApply.retryAt, attempts: failedApply.attempts)
  }

  /// The cycle produced a plan (whatever happened to it afterwards).
  public mutating func cyclePlanned() {
    consecutiveErrors = 0
  }

  /// The cycle could not produce a plan.
  public mutating func cycleErrored() {
    consecutiveErrors += 1
  }

  public mutating func applySucceeded() {
    failedApply = nil
  }

  /// An apply of `attempted` failed at `now`, leaving the state at `left` (the key to hold back).
  public mutating func applyFailed(attempted: ApplyKey, left: ApplyKey, now: Date) {
    let attempts = failedApply?.key == attempted ? failedApply!.attempts + 1 : 1
    failedApply = FailedApply(key: left, failedAt: now, attempts: attempts, retryAt: now + backoff(attempts))
  }
}
