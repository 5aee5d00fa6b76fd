import BerthModel
import BerthState
import BerthTesting
import Foundation
import Testing

@testable import BerthStateSQLite

/// The lock and write waits between two OS processes: the other one is Python with its `sqlite3`.
@Suite struct TwoProcessLockTests {
  /// Writes a lock row naming its own pid (or the given host and pid) and holds until its input closes.
  static let holdLock = """
    import os, socket, sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
    host = sys.argv[2] or socket.gethostname()
    db.execute(
        "INSERT INTO lock (slot, id, who, host, pid, operation, since) VALUES (1, 'py-lock', 'python', ?, ?, 'hold', ?)",
        (host, os.getpid(), time.time()))
    print("holding", flush=True)
    sys.stdin.read()
    """

  /// Holds a write transaction open for the given seconds.
  static let holdWrite = """
    import sqlite3, sys, time
    db = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE meta SET serial = serial + 100")
    print("writing", flush=True)
    time.sleep(float(sys.argv[2]))
    db.execute("COMMIT")
    """

  @Test func liveHolderBlocksAndDeadHolderIsTakenOver() async throws {
    try await withTemporaryDirectory { directory in
      let store = try SQLiteStateStore(path: directory.path("state.db"))
      let holder = try ChildProcess(python: Self.holdLock, [store.path, ""])
      defer { holder.signal() }
      try await holder.expectLine("holding")

      let error = await #expect(throws: StateError.self) {
        try await store.acquire(operation: "apply", who: "ada", timeout: 0)
      }
      guard case .locked(let info) = error else { return }
      #expect(info.id == "py-lock")
      #expect(info.pid == holder.pid)
      #expect(info.host == ProcessIdentity.current.host)
      #expect(error?.description.contains("pid \(holder.pid)") == true)

      await holder.kill(SIGKILL)
      let taken = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
      #expect(taken.id != "py-lock")
      #expect(taken.pid == getpid())
      #expect(try await store.currentLock() == taken)
    }
  }

  @Test func holderDyingWhileWaitedForIsTakenOver() async throws {
    try await withTemporaryDirectory { directory in
      let store = try SQLiteStateStore(path: directory.path("state.db"))
      let holder = try ChildProcess(python: Self.holdLock, [store.path, ""])
      defer { holder.signal() }
      try await holder.expectLine("holding")

      let waiter = Task { try await store.acquire(operation: "apply", who: "ada", timeout: 20) }
      try await Task.sleep(for: .milliseconds(500))
      await holder.kill(SIGKILL)  // not SIGTERM: children inherit the test runner's blocked signals
      let taken = try await waiter.value
      #expect(taken.pid == getpid())
    }
  }

  @Test func holderOnAnotherHostIsNeverTakenOver() async throws {
    try await withTemporaryDirectory { directory in
      let store = try SQLiteStateStore(path: directory.path("state.db"))
      let holder = try ChildProcess(python: Self.holdLock, [store.path, "build-agent-7"])
      try await holder.expectLine("holding")
      await holder.finish()  // its pid is gone here, but nothing here can know about that other machine

      let error = await #expect(throws: StateError.self) {
        try await store.acquire(operation: "apply", who: "ada", timeout: 0)
      }
      #expect(error == .locked(try #require(try await store.currentLock())))
      #expect(try await store.forceUnlock(id: "py-lock"))
      _ = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    }
  }

  @Test func writeWaitsForAnotherProcessTransaction() async throws {
    try await withTemporaryDirectory { directory in
      let store = try SQLiteStateStore(path: directory.path("state.db"))
      let writer = try ChildProcess(python: Self.holdWrite, [store.path, "1.0"])
      defer { writer.signal() }
      try await writer.expectLine("writing")

      // The other process holds its write transaction open for a second: this write must wait for it rather than
      // fail with SQLITE_BUSY, and both writes must count (theirs adds 100, ours 1). No timing is asserted.
      try await store.importRecord(StateSample.service("s"))
      #expect(await writer.finish() == 0)
      #expect(try await store.snapshot().serial == 101)
    }
  }
}
