import BerthModel
import BerthState
import BerthTesting
import Foundation
import Testing

@testable import BerthStateSQLite

/// The conformance suites run against SQLite, plus what only a file-backed store has.
@Suite struct SQLiteStateStoreTests {
  @Test(arguments: StateConformance.allCases)
  func keepsStateContract(_ check: StateConformance) async throws {
    try await withTemporaryDirectory { directory in
      try await check.run { try SQLiteStateStore(path: directory.path("\(UUID().uuidString).db")) }
    }
  }

  @Test(arguments: LockConformance.allCases)
  func keepsLockContract(_ check: LockConformance) async throws {
    try await withTemporaryDirectory { directory in
      try await check.run { try SQLiteStateStore(path: directory.path("\(UUID().uuidString).db")) }
    }
  }

  @Test func createsParentFolders() async throws {
    #expect(SQLiteStateStore.defaultPath == ".berth/state.db")
    try await withTemporaryDirectory { directory in
      let path = directory.path("project/.berth/state.db")
      let store = try SQLiteStateStore(path: path)
      #expect(store.path == path)
      #expect(FileManager.default.fileExists(atPath: path))
    }
  }

  @Test func manyOpenersOfANewFileAllSucceed() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory.path("state.db")
      let results = await withTaskGroup(of: String?.self) { group in
        for _ in 0..<8 {
          // Each opener on a thread of its own, like separate processes racing to create the file.
          group.addTask {
            await offThePool {
              do {
                _ = try SQLiteStateStore(path: path)
                return nil
              } catch {
                return "\(error)"
              }
            }
          }
        }
        return await group.reduce(into: []) { $0.append($1) }
      }
      #expect(results.compactMap { $0 } == [])
      let store = try SQLiteStateStore(path: path)
      #expect(try await store.snapshot() == StateSnapshot())
    }
  }

  @Test func usesWALWithFullSyncAndBusyTimeout() async throws {
    try await withTemporaryDirectory { directory in
      let store = try SQLiteStateStore(path: directory.path("state.db"), busyTimeout: 3)
      #expect(try await store.pragma("journal_mode") == "wal")
      #expect(try await store.pragma("synchronous") == "2")  // FULL
      #expect(try await store.pragma("busy_timeout") == "3000")
      #expect(try await store.pragma("foreign_keys") == "1")
      // WAL is a property of the file: another program sees it too.
      #expect(try await runSQL(store.path, "PRAGMA journal_mode") == ["wal"])
    }
  }

  @Test func anotherInstanceReadsWhatWasWritten() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory.path("state.db")
      let (written, history, lock) = try await {
        let store = try SQLiteStateStore(path: path)
        let applyID = try await store.beginApply(operation: "apply", who: "ada", planDigest: "d", at: StateSample.time(0))
        try await store.record(
          StateSample.completion(
            applyID, ResourceAddress(.model, "m"), action: "register", change: .put(StateSample.model("m")),
            modelVersion: StateSample.modelVersion("m", 1)))
        try await store.record(
          StateSample.completion(applyID, ResourceAddress(.service, "s"), change: .put(StateSample.service("s"))))
        let lock = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
        return (try await store.snapshot(), try await store.history(limit: 10), lock)
      }()

      let reopened = try SQLiteStateStore(path: path)
      #expect(try await reopened.snapshot() == written)
      #expect(written.resources.count == 2 && written.serial == 2)
      #expect(try await reopened.history(limit: 10) == history)
      #expect(try await reopened.currentLock() == lock)
    }
  }

  @Test func twoInstancesOnOneFileShareTheLock() async throws {
    try await withTemporaryDirectory { directory in
      let first = try SQLiteStateStore(path: directory.path("state.db"))
      let second = try SQLiteStateStore(path: directory.path("state.db"))
      let held = try await first.acquire(operation: "apply", who: "ada", timeout: 0)
      await #expect(throws: StateError.locked(held)) {
        try await second.acquire(operation: "apply", who: "bob", timeout: 0)
      }
      let waiter = Task { try await second.acquire(operation: "apply", who: "bob", timeout: 20) }
      try await Task.sleep(for: .milliseconds(300))
      try await first.release(held)
      let taken = try await waiter.value
      #expect(try await first.currentLock() == taken)
    }
  }

  @Test func storedColumnsAreReadableJSONAndUnixSeconds() async throws {
    try await withTemporaryDirectory { directory in
      let store = try SQLiteStateStore(path: directory.path("state.db"))
      var record = StateSample.service("s")
      record.attributes = ["b": .double(1.0), "a": .list([.int(1), .string("x")]), "c": .bool(true)]
      try await store.importRecord(record)
      let rows = try await runSQL(store.path, "SELECT address, kind, attributes, dependencies, updated_at FROM resources")
      #expect(
        rows == [
          #"service/s|Service|{"a":[1,"x"],"b":{"double":1},"c":true}|["model/diabetes-ridge","inferenceconfig/diabetes-scoring"]|1750000001.25"#
        ])
    }
  }

  @Test func refusesSchemaWrittenByNewerBerth() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory.path("state.db")
      _ = try SQLiteStateStore(path: path)
      try await runSQL(path, "UPDATE meta SET schema_version = 7")
      #expect(throws: StateError.newerSchema(found: 7, supported: SQLiteSchema.supportedVersion)) {
        try SQLiteStateStore(path: path)
      }
      #expect(try await runSQL(path, "SELECT schema_version FROM meta") == ["7"])
    }
  }

  @Test func refusesMigrationItDoesNotKnow() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory.path("state.db")
      _ = try SQLiteStateStore(path: path)
      try await runSQL(path, "INSERT INTO grdb_migrations (identifier) VALUES ('v2')")
      #expect(throws: StateError.newerSchema(found: 2, supported: 1)) { try SQLiteStateStore(path: path) }
    }
  }

  @Test func fileThatIsNotADatabaseIsAnErrorNamingIt() async throws {
    try await withTemporaryDirectory { directory in
      let path = directory.path("state.db")
      try Data(repeating: 0x42, count: 4096).write(to: URL(fileURLWithPath: path))
      #expect(throws: StateFileError(path: path, problem: .notADatabase)) { try SQLiteStateStore(path: path) }
      #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(repeating: 0x42, count: 4096))
    }
  }
}
