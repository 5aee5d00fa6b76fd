import BerthState
import Foundation
import Testing

/// The locking contract every state store keeps; run each case against a store's factory.
enum LockConformance: String, CaseIterable, Sendable {
  case acquireAndRelease
  case heldLockFailsAtOnce
  case acquireWaitsForRelease
  case acquireGivesUpAfterTimeout
  case forceUnlockClearsById

  func run(_ make: StoreFactory) async throws {
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
    #expect(lock.who == "ada")
    #expect(lock.operation == "apply")
    #expect(lock.pid == getpid())
    #expect(!lock.id.isEmpty && lock.id.count <= 12)
    #expect(abs(lock.since.timeIntervalSince(before)) < 60)
    #expect(try await store.currentLock() == lock)

    try await store.release(lock)
    #expect(try await store.currentLock() == nil)
    let again = try await store.acquire(operation: "destroy", who: "bob", timeout: 0)
    #expect(again.id != lock.id)
    #expect(try await store.currentLock() == again)
  }

  static func heldLockFailsAtOnce(_ store: any StateStoring & Locking) async throws {
    let holder = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    let clock = ContinuousClock()
    let start = clock.now
    let error = await #expect(throws: StateError.self) {
      try await store.acquire(operation: "destroy", who: "bob", timeout: 0)
    }
    #expect(error == .locked(holder))
    #expect(start.duration(to: clock.now) < .seconds(2))
    #expect(error?.description.contains("berth state unlock \(holder.id)") == true)
    #expect(try await store.currentLock() == holder)
  }

  static func acquireWaitsForRelease(_ store: any StateStoring & Locking) async throws {
    let holder = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    let clock = ContinuousClock()
    let start = clock.now
    let waiter = Task { try await store.acquire(operation: "apply", who: "bob", timeout: 20) }
    try await Task.sleep(for: .milliseconds(600))
    try await store.release(holder)

    let taken = try await waiter.value
    #expect(taken.who == "bob")
    #expect(taken.id != holder.id)
    #expect(start.duration(to: clock.now) >= .milliseconds(600))
    #expect(try await store.currentLock() == taken)
  }

  static func acquireGivesUpAfterTimeout(_ store: any StateStoring & Locking) async throws {
    let holder = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    let clock = ContinuousClock()
    let start = clock.now
    let error = await #expect(throws: StateError.self) {
      try await store.acquire(operation: "apply", who: "bob", timeout: 0.5)
    }
    let waited = start.duration(to: clock.now)
    #expect(error == .locked(holder))
    #expect(waited >= .milliseconds(500) && waited < .seconds(5))
  }

  static func forceUnlockClearsById(_ store: any StateStoring & Locking) async throws {
    let stale = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    #expect(try await store.forceUnlock(id: "not-\(stale.id)") == false)
    #expect(try await store.currentLock() == stale)
    #expect(try await store.forceUnlock(id: stale.id))
    #expect(try await store.currentLock() == nil)
    #expect(try await store.forceUnlock(id: stale.id) == false)

    // The unlocked run releasing late must not free the lock someone else took since.
    let next = try await store.acquire(operation: "apply", who: "bob", timeout: 0)
    try await store.release(stale)
    #expect(try await store.currentLock() == next)
  }
}
