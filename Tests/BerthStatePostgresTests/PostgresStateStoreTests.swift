import BerthModel
import BerthState
import BerthTesting
import Foundation
import Testing

@testable import BerthStatePostgres

/// The conformance suites against a real PostgreSQL, plus what only a server-backed store has.
@Suite(.enabled(if: PostgresTestServer.isAvailable, PostgresTestServer.unavailable))
struct PostgresStateStoreTests {
  @Test(arguments: StateConformance.allCases)
  func keepsStateContract(_ check: StateConformance) async throws {
    try await withStores { scope in try await check.run { try await scope.store() } }
  }

  @Test(arguments: LockConformance.allCases)
  func keepsLockContract(_ check: LockConformance) async throws {
    try await withStores { scope in try await check.run { try await scope.store() } }
  }

  @Test func anotherInstanceReadsWhatWasWritten() async throws {
    try await withStores { scope in
      let url = try await PostgresTestServer.freshStateURL()
      let store = try await scope.store(url: url)
      let applyID = try await store.beginApply(operation: "apply", who: "ada", planDigest: "d", at: StateSample.time(0))
      try await store.record(
        StateSample.completion(
          applyID, ResourceAddress(.model, "m"), action: "register", change: .put(StateSample.model("m")),
          modelVersion: StateSample.modelVersion("m", 1)))
      try await store.record(
        StateSample.completion(applyID, ResourceAddress(.service, "s"), change: .put(StateSample.service("s"))))
      let lock = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
      let written = try await store.snapshot()
      let history = try await store.history(limit: 10)

      let reopened = try await scope.store(url: url)
      #expect(try await reopened.snapshot() == written)
      #expect(written.resources.count == 2 && written.serial == 2)
      #expect(try await reopened.history(limit: 10) == history)
      #expect(try await reopened.currentLock() == lock)
      await #expect(throws: StateError.locked(lock)) {
        try await reopened.acquire(operation: "apply", who: "bob", timeout: 0)
      }
      let waiter = Task { try await reopened.acquire(operation: "apply", who: "bob", timeout: 20) }
      try await Task.sleep(for: .milliseconds(300))
      try await store.release(lock)
      let taken = try await waiter.value
      #expect(try await store.currentLock() == taken)
    }
  }

  @Test func writesStopOnceTheLockSessionIsGone() async throws {
    try await withStores { scope in
      let url = try await PostgresTestServer.freshStateURL()
      let holder = try await scope.store(url: url)
      let other = try await scope.store(url: url)
      let lock = try await holder.acquire(operation: "apply", who: "ada", timeout: 0)
      let applyID = try await holder.beginApply(operation: "apply", who: "ada", planDigest: "d", at: StateSample.time(0))
      try await holder.record(
        StateSample.completion(applyID, ResourceAddress(.service, "a"), change: .put(StateSample.service("a"))))

      // The server ends the holder's lock session (as after a long network cut); another run takes the lock.
      #expect(try await other.forceUnlock(id: lock.id))
      let taken = try await other.acquire(operation: "apply", who: "bob", timeout: 0)
      do {
        try await holder.record(
          StateSample.completion(applyID, ResourceAddress(.service, "b"), change: .put(StateSample.service("b"))))
        Issue.record("a run without the lock wrote to the state")
      } catch let error as PostgresStateError {
        #expect(error.description.contains("no longer holds the state lock"), "\(error)")
      }
      #expect(Array(try await other.snapshot().resources.keys) == [ResourceAddress(.service, "a")])
      #expect(try await other.currentLock() == taken)
    }
  }

  @Test func manyOpenersOfANewSchemaAllSucceed() async throws {
    try await withStores { scope in
      let url = try await PostgresTestServer.freshStateURL()
      var stores: [PostgresStateStore] = []
      for _ in 0..<6 { stores.append(try await scope.store(url: url)) }
      let results = await withTaskGroup(of: String?.self) { group in
        for store in stores {
          group.addTask {
            do {
              _ = try await store.snapshot()
              return nil
            } catch {
              return "\(error)"
            }
          }
        }
        return await group.reduce(into: []) { $0.append($1) }
      }
      #expect(results.compactMap { $0 } == [])
      #expect(try await PostgresTestServer.psql("SELECT schema_version, serial FROM \(schemaOf(url)).meta") == ["1|0"])
    }
  }

  /// The columns are plain SQL types another client reads: jsonb in the SQLite store's JSON form, timestamptz.
  @Test func storedColumnsAreJSONBAndTimestamps() async throws {
    try await withStores { scope in
      let url = try await PostgresTestServer.freshStateURL()
      let store = try await scope.store(url: url)
      var record = StateSample.service("s")
      record.attributes = ["b": .double(1.0), "a": .list([.int(1), .string("x")]), "c": .bool(true), "d": .double(.infinity)]
      try await store.importRecord(record)
      let rows = try await PostgresTestServer.psql(
        """
        SELECT address, kind, attributes::text, dependencies::text, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')
        FROM \(schemaOf(url)).resources
        """)
      #expect(
        rows == [
          #"service/s|Service|{"a": [1, "x"], "b": {"double": 1}, "c": true, "d": {"double": "inf"}}|["model/diabetes-ridge", "inferenceconfig/diabetes-scoring"]|2025-06-15 15:06:41.250000"#
        ])
      // What comes back is the same kind of value, not only an equal number: 1.0 stays a double.
      let read = try #require(try await store.snapshot().resources[record.address])
      #expect(read.attributes.mapValues(\.description) == record.attributes.mapValues(\.description))
      #expect(try await PostgresTestServer.psql("SELECT serial FROM \(schemaOf(url)).meta") == ["1"])
    }
  }

  @Test func datesKeepMicroseconds() async throws {
    try await withStores { scope in
      let store = try await scope.store()
      let odd = Date(timeIntervalSince1970: 1_765_432_109.123_456_7)
      var record = StateSample.service("s")
      record.updatedAt = odd
      try await store.importRecord(record)
      let read = try #require(try await store.snapshot().resources[record.address])
      #expect(read.updatedAt == PostgresStoredForm.microseconds(odd))
      #expect(abs(read.updatedAt.timeIntervalSince(odd)) < 0.000_001)
      // A second round trip changes nothing.
      try await store.importRecord(read)
      #expect(try await store.snapshot().resources[record.address]?.updatedAt == read.updatedAt)
    }
  }

  @Test func refusesSchemaWrittenByNewerBerth() async throws {
    try await withStores { scope in
      let url = try await PostgresTestServer.freshStateURL()
      _ = try await scope.store(url: url).snapshot()
      try await PostgresTestServer.psql("UPDATE \(schemaOf(url)).meta SET schema_version = 7")
      let newer = try await scope.store(url: url)
      await #expect(throws: StateError.newerSchema(found: 7, supported: PostgresSchema.supportedVersion)) {
        try await newer.snapshot()
      }
      #expect(try await PostgresTestServer.psql("SELECT schema_version FROM \(schemaOf(url)).meta") == ["7"])
    }
  }

  @Test func schemasAreSeparateStatesWithSeparateLocks() async throws {
    try await withStores { scope in
      let staging = try await scope.store()
      let production = try await scope.store()
      try await staging.importRecord(StateSample.service("s"))
      #expect(try await production.snapshot() == StateSnapshot())
      let held = try await staging.acquire(operation: "apply", who: "ada", timeout: 0)
      let other = try await production.acquire(operation: "apply", who: "bob", timeout: 0)
      #expect(try await staging.currentLock() == held)
      #expect(try await production.currentLock() == other)
    }
  }

  @Test func staleRowIsHiddenAndReplaced() async throws {
    try await withStores { scope in
      let url = try await PostgresTestServer.freshStateURL()
      let store = try await scope.store(url: url)
      #expect(try await store.currentLock() == nil)  // creates the tables
      // A row whose backend does not hold the advisory lock: its run and session are gone.
      try await PostgresTestServer.psql(
        """
        INSERT INTO \(schemaOf(url)).lock_info (slot, id, who, host, pid, operation, since, backend_pid)
        VALUES (1, 'gone1234', 'ghost', 'build-agent-7', 4242, 'apply', now(), 2147483000)
        """)
      #expect(try await store.currentLock() == nil)
      let taken = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
      #expect(try await store.currentLock() == taken)
      #expect(try await PostgresTestServer.psql("SELECT id FROM \(schemaOf(url)).lock_info") == [taken.id])
      try await store.release(taken)
      #expect(try await PostgresTestServer.psql("SELECT count(*) FROM \(schemaOf(url)).lock_info") == ["0"])
    }
  }

  /// A session holding the advisory lock without a `lock_info` row is named `backend-PID` and can be unlocked.
  @Test func holderWithoutRowIsNamedAndCanBeUnlocked() async throws {
    try await withStores { scope in
      let url = try await PostgresTestServer.freshStateURL()
      let store = try await scope.store(url: url)
      #expect(try await store.currentLock() == nil)
      let key = PostgresSchema(name: schemaOf(url)).lockKey
      let holder = try ChildProcess(
        executable: "/usr/bin/env",
        arguments: [
          "psql", try await PostgresTestServer.url(), "-X", "-At", "-c",
          "SELECT 'holding ' || pg_backend_pid() FROM (SELECT pg_advisory_lock(\(key))) AS taken", "-c",
          "SELECT pg_sleep(120)",
        ], environment: ProcessInfo.processInfo.environment)
      defer { holder.signal() }
      let backend = try await holder.line(startingWith: "holding ").dropFirst("holding ".count)

      let error = await #expect(throws: StateError.self) {
        try await store.acquire(operation: "apply", who: "ada", timeout: 0)
      }
      guard case .locked(let info) = error else { return }
      #expect(info.id == "backend-\(backend)")
      #expect(info.who == "berth")
      #expect(try await store.currentLock() == info)

      #expect(try await store.forceUnlock(id: info.id))
      await holder.waitForExit()  // its session was terminated
      _ = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    }
  }

  @Test func shutdownReleasesHeldLocksAndStoresReconnect() async throws {
    try await withStores { scope in
      let url = try await PostgresTestServer.freshStateURL()
      let first = try await scope.store(url: url)
      let second = try await scope.store(url: url)
      _ = try await first.acquire(operation: "apply", who: "ada", timeout: 0)
      await first.shutdown()
      #expect(try await second.currentLock() == nil)
      let taken = try await second.acquire(operation: "apply", who: "bob", timeout: 0)
      // A store used after shutdown connects again.
      #expect(try await first.currentLock() == taken)
    }
  }

  /// `berth` drops its store when a command ends, without `shutdown()`: that closes the connections
  /// (a debug build of PostgresNIO traps on a connection released while open) and frees the lock.
  @Test func droppingAStoreClosesItsConnections() async throws {
    try await withStores { scope in
      let url = try await PostgresTestServer.freshStateURL()
      let application = "drop-\(UUID().uuidString.prefix(8).lowercased())"
      do {
        let dropped = try PostgresStateStore(url: url + "&application_name=\(application)")
        try await dropped.importRecord(StateSample.service("s"))
        _ = try await dropped.acquire(operation: "apply", who: "ada", timeout: 0)
      }
      let sessions = "SELECT count(*) FROM pg_stat_activity WHERE application_name = '\(application)'"
      let clock = ContinuousClock()
      let deadline = clock.now.advanced(by: .seconds(10))
      while try await PostgresTestServer.psql(sessions) != ["0"], clock.now < deadline {
        try await Task.sleep(for: .milliseconds(50))
      }
      #expect(try await PostgresTestServer.psql(sessions) == ["0"])
      let store = try await scope.store(url: url)
      #expect(try await store.currentLock() == nil)
      _ = try await store.acquire(operation: "apply", who: "bob", timeout: 0)
    }
  }

  @Test func wrongPasswordFailsWithoutShowingIt() async throws {
    let url = try await PostgresTestServer.url()
    var components = try #require(URLComponents(string: url))
    components.password = "not-the-secret-xyz"
    let store = try PostgresStateStore(url: components.string!)
    let error = await #expect(throws: PostgresStateError.self) { try await store.snapshot() }
    let text = "\(error.map(String.init(describing:)) ?? "")"
    #expect(text.contains("28P01"), "\(text)")
    #expect(text.contains("****"))
    #expect(!text.contains("not-the-secret-xyz"))
    #expect(!text.contains(try #require(URLComponents(string: url)?.password)))
  }

  @Test func unreachableServerFailsPromptlyAndSaysWhere() async throws {
    let port = try await freePort()
    let store = try PostgresStateStore(url: "postgres://ada:s3cret-pw@127.0.0.1:\(port)/berth?sslmode=disable")
    let clock = ContinuousClock()
    let start = clock.now
    let error = await #expect(throws: PostgresStateError.self) { try await store.snapshot() }
    #expect(start.duration(to: clock.now) < .seconds(5))
    let text = error.map(String.init(describing:)) ?? ""
    #expect(text.contains("127.0.0.1:\(port)"), "\(text)")
    #expect(text.contains("cannot connect"), "\(text)")
    #expect(!text.contains("s3cret-pw"))
  }
}

/// The `schema` query parameter of a state URL.
func schemaOf(_ url: String) -> String {
  URLComponents(string: url)?.queryItems?.first { $0.name == "schema" }?.value ?? PostgresStateLocation.defaultSchema
}

/// A port on 127.0.0.1 that nothing listens on right now.
func freePort() async throws -> Int {
  let result = try await PostgresTestServer.run(
    "/usr/bin/env",
    ["python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
  return try #require(Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)))
}
