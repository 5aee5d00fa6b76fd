import BerthModel
import BerthState
import Foundation
import PostgresNIO

/// State in PostgreSQL, for teams and CI runners that share it: the same records, history and
/// serial as the SQLite store, in the tables of one schema (`berth` unless the URL names another).
///
/// Nothing connects until the first operation; that one migrates the schema. Reads and writes use
/// one connection, one operation at a time; every write is one transaction, committed when it
/// returns. A held lock keeps a connection of its own (see `acquire`). Call `shutdown()` to close
/// connections and release held locks; a process that simply exits has them closed by the kernel,
/// and the server then frees its locks.
public final class PostgresStateStore: StateStoring, Locking, Sendable {
  /// Where the state is, with the password hidden.
  public let location: PostgresStateLocation
  let schema: PostgresSchema
  let opener: ConnectionOpener
  let shared: SharedConnection
  let heldLocks = HeldLocks()
  let identity: (host: String, pid: Int32)
  var logger: Logger { opener.logger }

  /// How often a waiting `acquire` tries the lock again.
  static let lockPollInterval = Duration.milliseconds(200)

  /// Understands `url` without connecting; throws `StateError.badLocation` (password hidden) when it cannot.
  public convenience init(url: String, access: StateAccess = .write) throws {
    try self.init(location: PostgresStateLocation(url: url), access: access)
  }

  /// With `.read` access the store never creates or migrates its schema: state nobody wrote reads as empty.
  public init(location: PostgresStateLocation, access: StateAccess = .write) {
    var logger = Logger(label: "berth.state.postgres")
    logger.logLevel = .critical  // PostgresNIO's own logging is not for berth's users
    self.location = location
    self.schema = PostgresSchema(name: location.schema)
    self.opener = ConnectionOpener(configuration: location.configuration, location: location.description, logger: logger)
    self.shared = SharedConnection(opener: opener, schema: schema, access: access)
    self.identity = (Self.hostName(), getpid())
  }

  /// Releases the locks this store holds and closes its connections; the store reconnects if used again.
  public func shutdown() async {
    for (id, connection) in await heldLocks.removeAll() {
      await Self.endLockSession(connection, lockID: id, schema: schema, logger: logger)
    }
    await shared.close()
  }

  public func snapshot() async throws -> StateSnapshot {
    let schema = self.schema
    let logger = self.logger
    return try await withConnection("read state", ifAbsent: StateSnapshot()) { connection in
      try await PostgresTransaction.run(on: connection, logger: logger, readOnly: true) { connection in
        let serial = try await connection.rows(
          "SELECT serial FROM \(unescaped: schema.meta) WHERE slot = 1", logger: logger
        ).first?.decode(Int64.self)
        var snapshot = StateSnapshot(serial: serial ?? 0)
        let resources = try await connection.rows(
          """
          SELECT address, attributes::text, outputs::text, dependencies::text, extract(epoch FROM updated_at)::float8
          FROM \(unescaped: schema.resources)
          """, logger: logger)
        snapshot.resources = try StoredResourceRow.records(try resources.map(ResourceRecord.storedRow))
        let versions = try await connection.rows(
          """
          SELECT name, version, sha256, store_path, basename, size_bytes, file_count, description, tags::text,
            extract(epoch FROM registered_at)::float8
          FROM \(unescaped: schema.modelVersions) ORDER BY name, version
          """, logger: logger)
        for row in versions {
          let version = try ModelVersionRecord(postgresRow: row)
          snapshot.modelVersions[version.name, default: []].append(version)
        }
        return snapshot
      }
    }
  }

  public func beginApply(operation: String, who: String, planDigest: String, at: Date) async throws -> Int64 {
    let schema = self.schema
    let logger = self.logger
    return try await withConnection("begin apply", evenIfCancelled: true) { connection in
      let rows = try await connection.rows(
        """
        INSERT INTO \(unescaped: schema.applies) (operation, who, plan_digest, started_at, result)
        VALUES (\(operation), \(who), \(planDigest), to_timestamp(\(StoredForm.seconds(at))), 'running')
        RETURNING id
        """, logger: logger
      )
      guard let id = try rows.first?.decode(Int64.self) else { throw Self.missingRow("applies") }
      return id
    }
  }

  /// Writes the action row, the record change and the model versions in one transaction.
  ///
  /// `removedModel` is applied before `modelVersion`, so a completion carrying both leaves only the
  /// new version. Registering an existing name and version fails and writes nothing.
  public func record(_ completion: ActionCompletion) async throws {
    let schema = self.schema
    let logger = self.logger
    let location = self.location.description
    let heldLockIDs = await heldLocks.ids()
    try await withConnection("record \(completion.address)", evenIfCancelled: true) { connection in
      try await PostgresTransaction.run(on: connection, logger: logger) { connection in
        // Fencing: while this store holds the lock, a write is only made if its session still holds it. A session the
        // server dropped (a long network cut) freed the lock, and another run may hold it now.
        if !heldLockIDs.isEmpty {
          let rows = try await connection.rows(
            """
            SELECT EXISTS (SELECT 1 FROM \(unescaped: schema.lockInfo) i WHERE i.id = ANY(\(heldLockIDs))
              AND EXISTS (SELECT 1 FROM pg_locks l WHERE \(unescaped: schema.lockRowCondition) AND l.pid = i.backend_pid))
            """, logger: logger)
          guard try rows.first?.decode(Bool.self) == true else {
            throw PostgresStateError.lockLost(location: location, address: completion.address.description)
          }
        }
        // Locking the apply's row numbers its actions one after another, whoever else writes.
        try await connection.rows(
          "SELECT id FROM \(unescaped: schema.applies) WHERE id = \(completion.applyID) FOR UPDATE", logger: logger)
        try await connection.rows(
          """
          INSERT INTO \(unescaped: schema.applyActions) (apply_id, seq, address, action, outcome, message, finished_at)
          VALUES (
            \(completion.applyID),
            (SELECT COALESCE(MAX(seq), 0) + 1 FROM \(unescaped: schema.applyActions) WHERE apply_id = \(completion.applyID)),
            \(completion.address.description), \(completion.action), \(completion.outcome.rawValue), \(completion.message),
            to_timestamp(\(StoredForm.seconds(completion.finishedAt))))
          """, logger: logger)
        switch completion.change {
        case .put(let record): try await record.upsert(connection, schema, logger)
        case .remove(let address): try await Self.deleteRecord(address, connection, schema, logger)
        case .move(let from, let record):
          try await Self.deleteRecord(from, connection, schema, logger)
          try await record.upsert(connection, schema, logger)
          if from.kind == .model, from.name != record.address.name {
            try await connection.rows(
              "UPDATE \(unescaped: schema.modelVersions) SET name = \(record.address.name) WHERE name = \(from.name)",
              logger: logger)
          }
        case .none: break
        }
        if let name = completion.removedModel {
          try await connection.rows("DELETE FROM \(unescaped: schema.modelVersions) WHERE name = \(name)", logger: logger)
        }
        try await completion.modelVersion?.insert(connection, schema, logger)
        try await Self.bumpSerial(connection, schema, logger)
      }
    }
  }

  public func finishApply(id: Int64, result: String, at: Date) async throws {
    let schema = self.schema
    let logger = self.logger
    try await withConnection("finish apply", evenIfCancelled: true) { connection in
      try await connection.rows(
        """
        UPDATE \(unescaped: schema.applies)
        SET finished_at = to_timestamp(\(StoredForm.seconds(at))), result = \(result) WHERE id = \(id)
        """, logger: logger)
    }
  }

  public func history(limit: Int) async throws -> [ApplyRecord] {
    let schema = self.schema
    let logger = self.logger
    return try await withConnection("read history", ifAbsent: []) { connection in
      try await PostgresTransaction.run(on: connection, logger: logger, readOnly: true) { connection in
        var applies: [ApplyRecord] = []
        let rows = try await connection.rows(
          """
          SELECT id, operation, who, plan_digest, extract(epoch FROM started_at)::float8,
            extract(epoch FROM finished_at)::float8, result
          FROM \(unescaped: schema.applies) ORDER BY id DESC LIMIT \(max(0, limit))
          """, logger: logger)
        for row in rows { applies.append(try ApplyRecord(postgresRow: row)) }
        guard !applies.isEmpty else { return [] }

        let ids = applies.map(\.id)
        var actions: [Int64: [ActionRecord]] = [:]
        let actionRows = try await connection.rows(
          """
          SELECT apply_id, address, action, outcome, message, extract(epoch FROM finished_at)::float8
          FROM \(unescaped: schema.applyActions) WHERE apply_id = ANY(\(ids)) ORDER BY apply_id, seq
          """, logger: logger)
        for row in actionRows {
          let (applyID, action) = try ActionRecord.decode(postgresRow: row)
          actions[applyID, default: []].append(action)
        }
        for index in applies.indices { applies[index].actions = actions[applies[index].id] ?? [] }
        return applies
      }
    }
  }

  /// Removes the record; the serial moves only when there was one to remove.
  public func removeRecord(_ address: ResourceAddress) async throws -> Bool {
    let schema = self.schema
    let logger = self.logger
    return try await withConnection("remove \(address)", evenIfCancelled: true) { connection in
      try await PostgresTransaction.run(on: connection, logger: logger) { connection in
        guard try await Self.deleteRecord(address, connection, schema, logger) else { return false }
        try await Self.bumpSerial(connection, schema, logger)
        return true
      }
    }
  }

  public func importRecord(_ record: ResourceRecord) async throws {
    let schema = self.schema
    let logger = self.logger
    try await withConnection("import \(record.address)", evenIfCancelled: true) { connection in
      try await PostgresTransaction.run(on: connection, logger: logger) { connection in
        try await record.upsert(connection, schema, logger)
        try await Self.bumpSerial(connection, schema, logger)
      }
    }
  }

  /// Runs `body` on the shared connection, describing failures with the redacted location.
  ///
  /// Writes run in a task of their own (`evenIfCancelled`), so that cancelling an apply never
  /// loses the record of an action that already happened.
  @discardableResult
  func withConnection<T: Sendable>(
    _ operation: String, evenIfCancelled: Bool = false, ifAbsent empty: T? = nil,
    _ body: @escaping @Sendable (PostgresConnection) async throws -> T
  ) async throws -> T {
    let shared = self.shared
    let location = self.location.description
    let work: @Sendable () async throws -> T = {
      do {
        return try await shared.withConnection(ifAbsent: empty, body)
      } catch {
        throw PostgresStateError.wrapping(error, location: location, operation: operation)
      }
    }
    return evenIfCancelled ? try await Task.detached(operation: work).value : try await work()
  }

  static func bumpSerial(_ connection: PostgresConnection, _ schema: PostgresSchema, _ logger: Logger) async throws {
    try await connection.rows("UPDATE \(unescaped: schema.meta) SET serial = serial + 1 WHERE slot = 1", logger: logger)
  }

  @discardableResult
  static func deleteRecord(
    _ address: ResourceAddress, _ connection: PostgresConnection, _ schema: PostgresSchema, _ logger: Logger
  ) async throws -> Bool {
    let deleted = try await connection.rows(
      "DELETE FROM \(unescaped: schema.resources) WHERE address = \(address.description) RETURNING address", logger: logger
    )
    return !deleted.isEmpty
  }

  static func missingRow(_ table: String) -> some Error {
    DecodingError.valueNotFound(
      Int64.self, .init(codingPath: [], debugDescription: "INSERT INTO \(table) … RETURNING gave no row"))
  }

  /// This machine's name as `gethostname(2)` gives it, like the SQLite store records it.
  static func hostName() -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}
