import BerthState
import Foundation
import PostgresNIO

/// The lock: a session-level advisory lock, plus a `lock_info` row naming the holder.
///
/// `acquire` opens a connection of its own and takes `pg_try_advisory_lock(key)` on it; the
/// connection stays open for as long as the lock is held. If the holding process dies, its
/// connection closes and the server ends the session, which frees the advisory lock: no lock is
/// ever left behind by a dead run, on any machine. The `lock_info` row (id, who, host, pid,
/// operation, since, and the holder's `backend_pid`) is only the holder's name tag: a row whose
/// backend no longer holds the advisory lock (`pg_locks`) is stale, not shown, and replaced by the
/// next `acquire`.
extension PostgresStateStore {
  public func acquire(operation: String, who: String, timeout: TimeInterval) async throws -> LockInfo {
    try await withConnection("open state") { _ in }  // creates the tables on first use
    let connection = try await opener.connect()
    do {
      let info = try await LockWaiting.acquire(timeout: timeout, interval: Self.lockPollInterval) {
        try await attemptLock(on: connection, operation: operation, who: who)
      }
      await heldLocks.insert(info.id, connection)
      return info
    } catch {
      try? await connection.close()
      throw PostgresStateError.wrapping(error, location: location.description, operation: "lock")
    }
  }

  /// Deletes `lock`'s row and frees its advisory lock by ending its session; done even from a cancelled task.
  ///
  /// A lock this store does not hold (another process's, or one already released) is left alone
  /// unless its session is gone, in which case only its stale row is deleted.
  public func release(_ lock: LockInfo) async throws {
    let schema = self.schema
    let logger = self.logger
    let heldLocks = self.heldLocks
    try await Task.detached {
      if let connection = await heldLocks.remove(lock.id) {
        if await Self.endLockSession(connection, lockID: lock.id, schema: schema, logger: logger) { return }
      }
      try await self.withConnection("unlock") { connection in
        try await connection.rows(
          """
          DELETE FROM \(unescaped: schema.lockInfo) i WHERE id = \(lock.id)
            AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE \(unescaped: schema.lockRowCondition) AND l.pid = i.backend_pid)
          """, logger: logger)
      }
    }.value
  }

  /// The holder: the live `lock_info` row, or a session holding the advisory lock without one.
  public func currentLock() async throws -> LockInfo? {
    let schema = self.schema
    let logger = self.logger
    return try await withConnection("read lock", ifAbsent: .some(nil)) { connection in
      try await Self.holder(on: connection, schema: schema, logger: logger, patience: 0)
    }
  }

  /// Deletes the lock row with `id` and, if its session still holds the lock, ends that session.
  ///
  /// Ending another session (`pg_terminate_backend`) needs the same role as its user, membership in
  /// `pg_signal_backend`, or a superuser; without it this throws and deletes nothing. The holder's
  /// process, if it still runs, loses its connection and fails its next state write. `id` may also
  /// be `backend-PID`, the name `acquire` gives a session holding the lock without a row.
  public func forceUnlock(id: String) async throws -> Bool {
    let schema = self.schema
    let logger = self.logger
    return try await withConnection("unlock \(id)") { connection in
      let (found, ended) = try await PostgresTransaction.run(on: connection, logger: logger) {
        connection -> (Bool, Int32?) in
        var backend: Int32?
        let rows = try await connection.rows(
          "SELECT backend_pid FROM \(unescaped: schema.lockInfo) WHERE id = \(id) FOR UPDATE", logger: logger
        )
        if let row = rows.first {
          backend = try row.decode(Int32.self)
          try await connection.rows("DELETE FROM \(unescaped: schema.lockInfo) WHERE id = \(id)", logger: logger)
        } else if id.hasPrefix("backend-"), let pid = Int32(id.dropFirst("backend-".count)) {
          backend = pid
        }
        guard let pid = backend else { return (false, nil) }
        let holds = try await Self.holdsLock(pid, on: connection, schema: schema, logger: logger)
        if holds {
          try await connection.rows("SELECT pg_terminate_backend(\(pid))", logger: logger)
        }
        return (!rows.isEmpty || holds, holds ? pid : nil)
      }
      if let ended {
        // pg_terminate_backend only signals; wait until the session has really let go.
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        while try await Self.holdsLock(ended, on: connection, schema: schema, logger: logger), clock.now < deadline {
          try await Task.sleep(for: .milliseconds(20))
        }
      }
      return found
    }
  }

  /// Takes the advisory lock on `connection` and writes the row, or names who holds it.
  private func attemptLock(on connection: PostgresConnection, operation: String, who: String) async throws -> LockAttempt {
    let schema = self.schema
    let logger = self.logger
    let taken = try await connection.rows("SELECT pg_try_advisory_lock(\(schema.lockKey))", logger: logger)
    guard try taken.first?.decode(Bool.self) == true else {
      let holder = try await Self.holder(on: connection, schema: schema, logger: logger, patience: 5)
      return holder.map(LockAttempt.held) ?? .vanished
    }
    let id = String(UUID().uuidString.lowercased().prefix(8))
    do {
      let since = try await PostgresTransaction.run(on: connection, logger: logger) { connection in
        // Any row left here is stale: this session holds the lock, so that row's session does not.
        try await connection.rows("DELETE FROM \(unescaped: schema.lockInfo)", logger: logger)
        let rows = try await connection.rows(
          """
          INSERT INTO \(unescaped: schema.lockInfo) (slot, id, who, host, pid, operation, since, backend_pid)
          VALUES (1, \(id), \(who), \(identity.host), \(identity.pid), \(operation),
            to_timestamp(\(StoredForm.seconds(Date()))), pg_backend_pid())
          RETURNING extract(epoch FROM since)::float8
          """, logger: logger
        )
        guard let since = try rows.first?.decode(Double.self) else { throw Self.missingRow("lock_info") }
        return since
      }
      return .acquired(
        LockInfo(
          id: id, who: who, host: identity.host, pid: identity.pid, operation: operation,
          since: StoredForm.date(since)))
    } catch {
      _ = try? await connection.rows("SELECT pg_advisory_unlock(\(schema.lockKey))", logger: logger)
      throw error
    }
  }

  /// Who holds the lock: the row whose session holds it, or, without such a row, that session as
  /// `backend-PID`; nil when nobody holds it. A holder that has just taken the lock writes its row
  /// a moment later, so this looks again up to `patience` times first.
  private static func holder(
    on connection: PostgresConnection, schema: PostgresSchema, logger: Logger, patience: Int
  ) async throws -> LockInfo? {
    for attempt in 0...patience {
      if attempt > 0 { try await Task.sleep(for: .milliseconds(20)) }
      let rows = try await connection.rows(
        """
        SELECT i.id, i.who, i.host, i.pid, i.operation, extract(epoch FROM i.since)::float8
        FROM \(unescaped: schema.lockInfo) i
        WHERE EXISTS (SELECT 1 FROM pg_locks l WHERE \(unescaped: schema.lockRowCondition) AND l.pid = i.backend_pid)
        """, logger: logger
      )
      if let row = rows.first { return try LockInfo(postgresRow: row) }
    }
    let sessions = try await connection.rows(
      """
      SELECT l.pid, coalesce(a.usename::text, 'unknown'), coalesce(host(a.client_addr), 'local'),
        extract(epoch FROM coalesce(a.backend_start, now()))::float8
      FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE \(unescaped: schema.lockRowCondition) LIMIT 1
      """, logger: logger
    )
    guard let session = sessions.first else { return nil }
    let (pid, user, host, since) = try session.decode((Int32, String, String, Double).self)
    return LockInfo(
      id: "backend-\(pid)", who: user, host: host, pid: 0, operation: "unrecorded (no lock_info row)",
      since: StoredForm.date(since))
  }

  /// Whether the session with backend `pid` holds the lock.
  private static func holdsLock(
    _ pid: Int32, on connection: PostgresConnection, schema: PostgresSchema, logger: Logger
  ) async throws -> Bool {
    let rows = try await connection.rows(
      "SELECT EXISTS (SELECT 1 FROM pg_locks l WHERE \(unescaped: schema.lockRowCondition) AND l.pid = \(pid))",
      logger: logger
    )
    return try rows.first?.decode(Bool.self) ?? false
  }

  /// Deletes the row and frees the lock on the holding connection, then closes it; false when that
  /// session was already gone (its lock went with it, its row may be left).
  @discardableResult
  static func endLockSession(
    _ connection: PostgresConnection, lockID: String, schema: PostgresSchema, logger: Logger
  ) async -> Bool {
    var ended = true
    do {
      try await connection.rows(
        "DELETE FROM \(unescaped: schema.lockInfo) WHERE id = \(lockID) AND backend_pid = pg_backend_pid()",
        logger: logger)
      try await connection.rows("SELECT pg_advisory_unlock(\(schema.lockKey))", logger: logger)
    } catch {
      ended = false
    }
    try? await connection.close()
    return ended
  }
}

/// The lock sessions a store holds: lock id → the connection whose session holds the advisory lock.
actor HeldLocks {
  private var sessions: [String: PostgresConnection] = [:]

  deinit {
    for connection in sessions.values { connection.closeInBackground() }
  }

  func insert(_ id: String, _ connection: PostgresConnection) { sessions[id] = connection }

  func remove(_ id: String) -> PostgresConnection? { sessions.removeValue(forKey: id) }

  /// The ids of the locks held, sorted.
  func ids() -> [String] { sessions.keys.sorted() }

  func removeAll() -> [String: PostgresConnection] {
    defer { sessions = [:] }
    return sessions
  }
}
