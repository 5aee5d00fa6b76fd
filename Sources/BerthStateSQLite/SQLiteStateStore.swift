import BerthModel
import BerthState
import Foundation
import GRDB

/// The embedded state store: one SQLite file in WAL mode, shared safely by processes on one machine.
///
/// Every write is one IMMEDIATE transaction committed with `synchronous=FULL`, so a write that
/// returned survives the process being killed right after. Another process's write makes this one
/// wait up to `busyTimeout` seconds rather than fail. Dates are kept as Unix seconds, exact to
/// about a microsecond.
public final class SQLiteStateStore: StateStoring, Locking, Sendable {
  /// Where the state lives when the workspace does not say otherwise, relative to the working directory.
  public static let defaultPath = ".berth/state.db"

  /// The database file.
  public let path: String
  let database: DatabaseQueue
  let identity: ProcessIdentity

  /// Opens the database at `path`. With `.write` access a missing file (and its parent folders) is created and an older
  /// schema migrated, after copying the file beside itself; with `.read` nothing on disk is created or changed, and a
  /// missing file reads as empty state held in memory.
  ///
  /// Throws `StateFileError` naming the file when something that is not Berth state is there (an empty file, a
  /// folder, garbage, a truncated database), and `StateError.newerSchema` when a newer Berth wrote it.
  public init(path: String = SQLiteStateStore.defaultPath, busyTimeout: TimeInterval = 10, access: StateAccess = .write)
    throws
  {
    let status = try SQLiteStateFile.inspect(path)
    var configuration = Configuration()
    configuration.busyMode = .timeout(busyTimeout)
    // Reading leaves the journal mode alone: a Berth file is already WAL, and anything else is refused below.
    configuration.prepareDatabase { db in
      if access == .write { try SQLiteConnectionSetup.prepare(db, patience: busyTimeout) }
    }
    let database: DatabaseQueue
    do {
      if status == .missing && access == .read {
        database = try DatabaseQueue(configuration: configuration)
        try SQLiteSchema.migrate(database)
      } else {
        if status == .missing { try Self.create(path, configuration: configuration) }
        database = try DatabaseQueue(path: path, configuration: configuration)
        let version = try database.read(SQLiteSchema.checkNotNewer)
        if version == 0 {
          throw StateFileError(path: path, problem: .notBerthState)
        }
        if version < SQLiteSchema.supportedVersion {
          guard access == .write else {
            throw StateFileError(
              path: path, problem: .needsMigration(found: version, supported: SQLiteSchema.supportedVersion))
          }
          if version > 0 { try database.backup(to: DatabaseQueue(path: path + ".v\(version).bak")) }
          try SQLiteSchema.migrate(database)
        }
      }
    } catch let error as DatabaseError {
      throw StateFileError(path: path, problem: .unreadable(Self.reason(error)))
    }

    self.path = path
    self.database = database
    self.identity = .current
  }

  /// Makes a migrated database beside `path` and links it into place, so that no opener ever sees a half-made (empty)
  /// state file; when another process got there first, its file is kept.
  static func create(_ path: String, configuration: Configuration) throws {
    let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
    let fresh = path + ".new-\(UUID().uuidString)"
    defer {
      for suffix in ["", "-wal", "-shm"] { unlink(fresh + suffix) }
    }
    do {
      let database = try DatabaseQueue(path: fresh, configuration: configuration)
      try SQLiteSchema.migrate(database)
      try database.close()
    }
    if link(fresh, path) != 0 && errno != EEXIST {
      throw StateFileError(path: path, problem: .unreadable("cannot create it: \(String(cString: strerror(errno)))"))
    }
  }

  /// SQLite's own words without the SQL that failed: `file is not a database (SQLITE_NOTADB)`.
  static func reason(_ error: DatabaseError) -> String {
    "\(error.message ?? "SQLite error") (SQLite error \(error.resultCode.rawValue))"
  }

  public func snapshot() async throws -> StateSnapshot {
    try await named { try await self.readSnapshot() }
  }

  /// Runs a read, naming this file in any SQLite or decoding error (a database can be damaged after it opened fine).
  func named<T>(_ body: () async throws -> T) async throws -> T {
    do {
      return try await body()
    } catch let error as DatabaseError {
      throw StateFileError(path: path, problem: .unreadable(Self.reason(error)))
    } catch let error as StateError {
      throw error
    } catch let error as CancellationError {
      throw error
    } catch {
      throw StateFileError(path: path, problem: .unreadable("a recorded row cannot be read: \(error)"))
    }
  }

  private func readSnapshot() async throws -> StateSnapshot {
    try await database.read { db in
      var snapshot = StateSnapshot(serial: try Self.serial(db))
      // The columns are copied out as the rows are stepped (a cursor), then parsed on every core.
      var rows: [StoredResourceRow] = []
      rows.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM resources") ?? 0)
      let cursor = try Row.fetchCursor(db, sql: "SELECT \(ResourceRecord.sqliteColumns) FROM resources")
      while let row = try cursor.next() { rows.append(try ResourceRecord.storedRow(row)) }
      snapshot.resources = try StoredResourceRow.records(rows)
      let versions = try Row.fetchCursor(
        db, sql: "SELECT \(ModelVersionRecord.sqliteColumns) FROM model_versions ORDER BY name, version")
      while let row = try versions.next() {
        let version = try ModelVersionRecord(sqliteRow: row)
        snapshot.modelVersions[version.name, default: []].append(version)
      }
      return snapshot
    }
  }

  public func beginApply(operation: String, who: String, planDigest: String, at: Date) async throws -> Int64 {
    try await database.write { db in
      try db.execute(
        sql: "INSERT INTO applies (operation, who, plan_digest, started_at, result) VALUES (?, ?, ?, ?, 'running')",
        arguments: [operation, who, planDigest, StoredForm.seconds(at)])
      return db.lastInsertedRowID
    }
  }

  /// Writes the action row, the record change and the model versions in one transaction.
  ///
  /// `removedModel` is applied before `modelVersion`, so a completion carrying both leaves only the
  /// new version. Registering an existing name and version fails and writes nothing.
  public func record(_ completion: ActionCompletion) async throws {
    try await writeEvenIfCancelled { db in
      try db.execute(
        sql: """
          INSERT INTO apply_actions (apply_id, seq, address, action, outcome, message, finished_at)
          VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM apply_actions WHERE apply_id = ?1), ?2, ?3, ?4, ?5, ?6)
          """,
        arguments: [
          completion.applyID, completion.address.description, completion.action, completion.outcome.rawValue,
          completion.message, StoredForm.seconds(completion.finishedAt),
        ])
      switch completion.change {
      case .put(let record): try record.upsert(db)
      case .remove(let address): try Self.deleteRecord(address, db)
      case .move(let from, let record):
        try Self.deleteRecord(from, db)
        try record.upsert(db)
        if from.kind == .model, from.name != record.address.name {
          try db.execute(
            sql: "UPDATE model_versions SET name = ? WHERE name = ?", arguments: [record.address.name, from.name])
        }
      case .none: break
      }
      if let name = completion.removedModel {
        try db.execute(sql: "DELETE FROM model_versions WHERE name = ?", arguments: [name])
      }
      try completion.modelVersion?.insert(db)
      try Self.bumpSerial(db)
    }
  }

  public func finishApply(id: Int64, result: String, at: Date) async throws {
    try await writeEvenIfCancelled { db in
      try db.execute(
        sql: "UPDATE applies SET finished_at = ?, result = ? WHERE id = ?",
        arguments: [StoredForm.seconds(at), result, id])
    }
  }

  public func history(limit: Int) async throws -> [ApplyRecord] {
    try await named { try await self.readHistory(limit: limit) }
  }

  private func readHistory(limit: Int) async throws -> [ApplyRecord] {
    try await database.read { db in
      let applies = try Row.fetchAll(
        db, sql: "SELECT * FROM applies ORDER BY id DESC LIMIT ?", arguments: [max(0, limit)])
      return try applies.map { apply in
        let actions = try Row.fetchAll(
          db, sql: "SELECT * FROM apply_actions WHERE apply_id = ? ORDER BY seq", arguments: [apply["id"] as Int64])
        return try ApplyRecord(sqliteRow: apply, actions: try actions.map(ActionRecord.init(sqliteRow:)))
      }
    }
  }

  /// Removes the record; the serial moves only when there was one to remove.
  public func removeRecord(_ address: ResourceAddress) async throws -> Bool {
    try await database.write { db in
      guard try Self.deleteRecord(address, db) else { return false }
      try Self.bumpSerial(db)
      return true
    }
  }

  public func importRecord(_ record: ResourceRecord) async throws {
    try await database.write { db in
      try record.upsert(db)
      try Self.bumpSerial(db)
    }
  }

  /// Writes in a task of its own, so that cancelling an apply never loses the record of an
  /// action that already happened (GRDB interrupts the writes of a cancelled task).
  func writeEvenIfCancelled<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
    let database = self.database
    return try await Task.detached { try await database.write(updates) }.value
  }

  /// The value of a connection setting such as `journal_mode`, for tests and `berth doctor`-style checks.
  func pragma(_ name: String) async throws -> String? {
    try await database.read { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
  }

  private static func serial(_ db: Database) throws -> Int64 {
    try Int64.fetchOne(db, sql: "SELECT serial FROM meta WHERE slot = 1") ?? 0
  }

  private static func bumpSerial(_ db: Database) throws {
    try db.execute(sql: "UPDATE meta SET serial = serial + 1 WHERE slot = 1")
  }

  @discardableResult
  private static func deleteRecord(_ address: ResourceAddress, _ db: Database) throws -> Bool {
    try db.execute(sql: "DELETE FROM resources WHERE address = ?", arguments: [address.description])
    return db.changesCount > 0
  }
}
