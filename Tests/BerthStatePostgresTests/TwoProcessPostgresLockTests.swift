import BerthModel
import BerthState
import BerthTesting
import Foundation
import Testing

@testable import BerthStatePostgres

/// The lock between OS processes: this test binary, run again as children, holds and contends for
/// the lock on one server the way two `berth apply` runs on two CI runners would.
///
/// A child is this same binary filtered to one test, with `BERTH_PG_CHILD` naming its part and
/// `BERTH_PG_CHILD_URL` the state; it talks to the parent in lines on standard output.
@Suite(.enabled(if: PostgresTestServer.isAvailable, PostgresTestServer.unavailable))
struct TwoProcessPostgresLockTests {
  static let roleVariable = "BERTH_PG_CHILD"
  static let urlVariable = "BERTH_PG_CHILD_URL"
  static let rounds = 6

  /// Child parts; each ends the child process. Outside a child (its variables unset) the test is skipped, not passed.
  @Test(.enabled(if: ProcessInfo.processInfo.environment[roleVariable] != nil, "runs only as a child of the tests below"))
  func childPart() async throws {
    let environment = ProcessInfo.processInfo.environment
    let role = try #require(environment[Self.roleVariable])
    let url = try #require(environment[Self.urlVariable], "\(Self.urlVariable) must be set with \(Self.roleVariable)")
    let store = try PostgresStateStore(url: url)
    do {
      switch role {
      case "hold": try await Self.hold(store, timeout: 0)
      case "wait": try await Self.hold(store, timeout: 60)
      case "contend": try await Self.contend(store)
      default: say("unknown part \(role)")
      }
    } catch {
      say("error \(error)")
      exit(1)
    }
    exit(0)
  }

  /// Takes the lock, says so, holds it until standard input closes, then releases it.
  private static func hold(_ store: PostgresStateStore, timeout: TimeInterval) async throws {
    let lock = try await store.acquire(operation: "apply", who: "child", timeout: timeout)
    say("holding \(lock.id)")
    await waitForInputToClose()
    try await store.release(lock)
    say("released")
  }

  /// Takes the lock `rounds` times; inside, no one else may write (the serial moves by exactly its own write).
  private static func contend(_ store: PostgresStateStore) async throws {
    for round in 1...rounds {
      let lock = try await store.acquire(operation: "apply", who: "pid \(getpid())", timeout: 60)
      let before = try await store.snapshot().serial
      try await store.importRecord(StateSample.service("p\(getpid())-\(round)"))
      try await Task.sleep(for: .milliseconds(40))
      let after = try await store.snapshot().serial
      let holder = try await store.currentLock()
      if after != before + 1 || holder != lock { say("overlap \(before) \(after)") }
      try await store.release(lock)
    }
    say("done \(rounds)")
  }

  private func child(_ role: String, _ url: String) throws -> ChildProcess {
    try ChildProcess(rerunning: "childPart", environment: [Self.roleVariable: role, Self.urlVariable: url])
  }

  @Test func twoProcessesNeverHoldTheLockAtOnce() async throws {
    let url = try await PostgresTestServer.freshStateURL()
    let children = try [child("contend", url), child("contend", url)]
    defer { children.forEach { $0.signal() } }
    for child in children {
      let line = try await child.line(startingWith: "done")
      #expect(line == "done \(Self.rounds)", "\(line)")
      #expect(await child.finish() == 0, "\(child.errorText())")
    }
    try await withStores { scope in
      let store = try await scope.store(url: url)
      #expect(try await store.snapshot().serial == Int64(2 * Self.rounds))
      #expect(try await store.snapshot().resources.count == 2 * Self.rounds)
      #expect(try await store.currentLock() == nil)
    }
  }

  @Test func killedHolderFreesTheLock() async throws {
    let url = try await PostgresTestServer.freshStateURL()
    let holder = try child("hold", url)
    defer { holder.signal() }
    let lockID = try await holder.line(startingWith: "holding ").dropFirst("holding ".count)

    try await withStores { scope in
      let store = try await scope.store(url: url)
      let error = await #expect(throws: StateError.self) {
        try await store.acquire(operation: "apply", who: "parent", timeout: 0)
      }
      guard case .locked(let info) = error else { return }
      #expect(info.id == String(lockID))
      #expect(info.pid == holder.pid)
      #expect(info.host == PostgresStateStore.hostName())
      #expect(error?.description.contains("pid \(holder.pid)") == true)

      // A second process waits; it must not get the lock while the first lives.
      let waiter = try child("wait", url)
      defer { waiter.signal() }
      try await Task.sleep(for: .seconds(1))
      #expect(try await store.currentLock()?.pid == holder.pid)

      let clock = ContinuousClock()
      let killed = clock.now
      await holder.kill(SIGKILL)  // no release: only the server ending the session frees it
      let taken = try await waiter.line(startingWith: "holding ").dropFirst("holding ".count)
      #expect(killed.duration(to: clock.now) < .seconds(5))
      let current = try #require(try await store.currentLock())
      #expect(current.id == String(taken) && current.pid == waiter.pid)

      #expect(await waiter.finish() == 0, "\(waiter.errorText())")
      #expect(try await store.currentLock() == nil)
      _ = try await store.acquire(operation: "apply", who: "parent", timeout: 0)
    }
  }

  /// `berth state unlock` from another machine: the live holder's session is ended, the lock is free.
  @Test func forceUnlockEndsALiveHolderInAnotherProcess() async throws {
    let url = try await PostgresTestServer.freshStateURL()
    let holder = try child("hold", url)
    defer { holder.signal() }
    let lockID = String(try await holder.line(startingWith: "holding ").dropFirst("holding ".count))

    try await withStores { scope in
      let store = try await scope.store(url: url)
      #expect(try await store.forceUnlock(id: lockID))
      let mine = try await store.acquire(operation: "apply", who: "parent", timeout: 0)

      // The unlocked holder releasing late neither fails nor frees the new lock.
      #expect(await holder.finish() == 0, "\(holder.errorText())")
      #expect(try await store.currentLock() == mine)
    }
  }
}
