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

  /// Opens (creating it and its parent folders when missing) and migrates the database at `path`.
  ///
  /// Throws `StateError.newerSchema` when a newer Berth wrote the file; SQLite and file system
  /// errors are thrown as they are.
  public init(path: String = SQLiteStateStore.defaultPath, busyTimeout: TimeInterval = 10) throws {
    let parent = URL(fileURLWithPath: path).deletingLastPathComponent()
    try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)

    var configuration = Configuration()
    configuration.busyMode = .timeout(busyTimeout)
    configuration.prepareDatabase { db in try SQLiteConnectionSetup.prepare(db, patience: busyTimeout) }
    let database = try DatabaseQueue(path: path, configuration: configuration)
    try database.read(SQLiteSchema.checkNotNewer)
    try SQLiteSchema.migrate(database)

    self.path = path
    self.database = database
    self.identity = .current
  }

  public func snapshot() async throws -> StateSnapshot {
    try await database.read { db in
      var snapshot = StateSnapshot(serial: try Self.serial(db))
      for row in try Row.fetchAll(db, sql: "SELECT * FROM resources") {
        let record = try ResourceRecord(sqliteRow: row)
        snapshot.resources[record.address] = record
      }
      for row in try Row.fetchAll(db, sql: "SELECT * FROM model_versions ORDER BY name, version") {
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
    try await database.read { db in
      let applies = try Row.fetchAll(
        db, sql: "SELECT * FROM applies ORDER BY id DESC LIMIT ?", arguments: [max(0, limit)])
      return try applies.map { apply in
        let actions = try Row.fetchAll(
          db, sql: "SELECT * FROM apply_actions WHERE apply_id = ? ORDER BY seq", arguments: [apply["id"] as Int64])
        return ApplyRecord(sqliteRow: apply, actions: try actions.map(ActionRecord.init(sqliteRow:)))
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
