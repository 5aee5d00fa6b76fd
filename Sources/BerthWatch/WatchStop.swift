import Foundation

/// A request to stop the watch loop (SIGTERM, SIGINT), and whether an apply is under way when it comes.
///
/// An apply starts only through `beginApplying()`, which refuses once a stop was requested, so a
/// stop either finds an apply running or guarantees that none will start.
public final class WatchStop: @unchecked Sendable {
  private let lock = NSLock()
  private var requested = false
  private var applying = false
  private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
  private var cancelledWaits: Set<UUID> = []

  public init() {}

  public var isRequested: Bool { lock.withLock { requested } }

  public var isApplying: Bool { lock.withLock { applying } }

  /// Asks the loop to stop; returns whether an apply was running. Safe from any thread, any number of times.
  @discardableResult
  public func request() -> Bool {
    let (wasApplying, woken) = lock.withLock { () -> (Bool, [CheckedContinuation<Void, Never>]) in
      requested = true
      defer { waiters = [:] }
      return (applying, Array(waiters.values))
    }
    for continuation in woken { continuation.resume() }
    return wasApplying
  }

  /// Marks an apply as started; false (and nothing marked) once a stop was requested.
  func beginApplying() -> Bool {
    lock.withLock {
      guard !requested else { return false }
      applying = true
      return true
    }
  }

  func endApplying() {
    lock.withLock { applying = false }
  }

  /// Returns once a stop is requested, or when the calling task is cancelled.
  func wait() async {
    let id = UUID()
    await withTaskCancellationHandler {
      await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let resumeNow = lock.withLock { () -> Bool in
          if requested || cancelledWaits.remove(id) != nil { return true }
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
