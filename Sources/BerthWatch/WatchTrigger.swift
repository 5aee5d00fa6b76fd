import Foundation

/// A request to run the next cycle now (a git webhook), instead of at the end of the wait.
///
/// Requests made while a cycle runs are remembered, so a push that lands mid-cycle is reconciled right after it.
public final class WatchTrigger: @unchecked Sendable {
  private let lock = NSLock()
  private var pending = false
  private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
  private var cancelledWaits: Set<UUID> = []

  public init() {}

  /// Wakes a waiting loop, or the next wait. Safe from any thread.
  public func fire() {
    let woken = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
      defer { waiters = [:] }
      if waiters.isEmpty { pending = true }
      return Array(waiters.values)
    }
    for continuation in woken { continuation.resume() }
  }

  /// Forgets a request that the cycle about to start serves anyway.
  func consume() { lock.withLock { pending = false } }

  /// Returns when fired (at once if a request is pending), or when the calling task is cancelled.
  func wait() async {
    let id = UUID()
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = lock.withLock { () -> Bool in
          if pending || cancelledWaits.remove(id) != nil {
            pending = false
            return true
          }
          waiters[id] = continuation
          return false
        }
        if resumeNow { continuation.resume() }
      }
    } onCancel: {
      let continuation = lock.withLock { () -> CheckedContinuation<Void, Never>? in
        if let waiting = waiters.removeValue(forKey: id) { return waiting }
        cancelledWaits.insert(id)
        return nil
      }
      continuation?.resume()
    }
  }
}
