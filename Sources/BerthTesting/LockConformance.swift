import BerthState
import Foundation

/// The locking contract every state store keeps; run each case against a store's factory.
///
/// A broken promise throws `ConformanceFailure`.
public enum LockConformance: String, CaseIterable, Sendable {
  case acquireAndRelease
  case heldLockFailsAtOnce
  case acquireWaitsForRelease
  case acquireGivesUpAfterTimeout
  case forceUnlockClearsById

  public func run(_ make: StoreFactory) async throws {
    let store = try await make()
    switch self {
    case .acquireAndRelease: try await Self.acquireAndRelease(store)
    case .heldLockFailsAtOnce: try await Self.heldLockFailsAtOnce(store)
    case .acquireWaitsForRelease: try await Self.acquireWaitsForRelease(store)
    case .acquireGivesUpAfterTimeout: try await Self.acquireGivesUpAfterTimeout(store)
    case .forceUnlockClearsById: try await Self.forceUnlockClearsById(store)
    }
  }

  static func acquireAndRelease(_ store: any StateStoring & Locking) async throws {
    let before = Date()
    let lock = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    try Check.equal(lock.who, "ada", "who")
    try Check.equal(lock.operation, "apply", "operation")
    try Check.equal(lock.pid, getpid(), "pid")
    try Check.that(!lock.id.isEmpty && lock.id.count <= 12, "lock id '\(lock.id)' is short and not empty")
    try Check.that(abs(lock.since.timeIntervalSince(before)) < 60, "since \(lock.since) is about now")
    try Check.equal(try await store.currentLock(), lock, "current lock")

    try await store.release(lock)
    try Check.equal(try await store.currentLock(), nil, "current lock after release")
    let again = try await store.acquire(operation: "destroy", who: "bob", timeout: 0)
    try Check.that(again.id != lock.id, "a new lock has a new id")
    try Check.equal(try await store.currentLock(), again, "current lock after acquiring again")
  }

  static func heldLockFailsAtOnce(_ store: any StateStoring & Locking) async throws {
    let holder = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    let clock = ContinuousClock()
    let start = clock.now
    let error = try await Check.throwsError(StateError.self, "acquiring a held lock") {
      try await store.acquire(operation: "destroy", who: "bob", timeout: 0)
    }
    try Check.equal(error, .locked(holder), "error")
    try Check.that(start.duration(to: clock.now) < .seconds(2), "failing took \(start.duration(to: clock.now))")
    try Check.that(error.description.contains("berth state unlock \(holder.id)"), "hint in '\(error)'")
    try Check.equal(try await store.currentLock(), holder, "current lock")
  }

  static func acquireWaitsForRelease(_ store: any StateStoring & Locking) async throws {
    let holder = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    let clock = ContinuousClock()
    let start = clock.now
    let waiter = Task { try await store.acquire(operation: "apply", who: "bob", timeout: 20) }
    try await Task.sleep(for: .milliseconds(600))
    try await store.release(holder)

    let taken = try await waiter.value
    try Check.equal(taken.who, "bob", "who took the lock")
    try Check.that(taken.id != holder.id, "a new lock has a new id")
    try Check.that(start.duration(to: clock.now) >= .milliseconds(600), "the waiter waited for the release")
    try Check.equal(try await store.currentLock(), taken, "current lock")
  }

  static func acquireGivesUpAfterTimeout(_ store: any StateStoring & Locking) async throws {
    let holder = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    let clock = ContinuousClock()
    let start = clock.now
    let error = try await Check.throwsError(StateError.self, "acquiring a held lock with a timeout") {
      try await store.acquire(operation: "apply", who: "bob", timeout: 0.5)
    }
    let waited = start.duration(to: clock.now)
    try Check.equal(error, .locked(holder), "error")
    try Check.that(waited >= .milliseconds(500) && waited < .seconds(5), "waited \(waited) for a 0.5 s timeout")
  }

  static func forceUnlockClearsById(_ store: any StateStoring & Locking) async throws {
    let stale = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    try Check.equal(try await store.forceUnlock(id: "not-\(stale.id)"), false, "unlocking an unknown id")
    try Check.equal(try await store.currentLock(), stale, "current lock after unlocking an unknown id")
    try Check.that(try await store.forceUnlock(id: stale.id), "unlocking the holder's id")
    try Check.equal(try await store.currentLock(), nil, "current lock after unlocking")
    try Check.equal(try await store.forceUnlock(id: stale.id), false, "unlocking the same id again")

    // The unlocked run releasing late must not free the lock someone else took since.
    let next = try await store.acquire(operation: "apply", who: "bob", timeout: 0)
    try await store.release(stale)
    try Check.equal(try await store.currentLock(), next, "current lock after the unlocked run releases")
  }
}
