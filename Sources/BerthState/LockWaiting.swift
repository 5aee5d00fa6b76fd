import Foundation

/// The outcome of one try at the state lock, in any store.
public enum LockAttempt: Sendable {
  case acquired(LockInfo)
  case held(LockInfo)
  /// Held a moment ago and free now: try again at once.
  case vanished
}

/// How every store's `acquire` waits: try, and while another run holds the lock, try again every `interval`
/// until `timeout` seconds have passed (0: one try; infinity: until it is free), then throw `StateError.locked`.
public enum LockWaiting {
  public static func acquire(
    timeout: TimeInterval, interval: Duration, _ attempt: () async throws -> LockAttempt
  ) async throws -> LockInfo {
    let clock = ContinuousClock()
    let deadline = timeout.isFinite ? clock.now.advanced(by: .seconds(max(0, timeout))) : nil
    while true {
      switch try await attempt() {
      case .acquired(let info):
        return info
      case .vanished:
        continue
      case .held(let holder):
        let now = clock.now
        guard let deadline else {
          try await Task.sleep(for: interval)
          continue
        }
        guard now < deadline else { throw StateError.locked(holder) }
        try await Task.sleep(for: min(interval, now.duration(to: deadline)))
      }
    }
  }
}
