import BerthModel
import BerthState
import Foundation
import GRDB

extension ResourceRecord {
  /// The columns `storedRow(_:)` reads, in its order: a snapshot selects exactly these and reads them by index
  /// (a lookup by name lower-cases the name, for every column of every one of 100,000 rows).
  static let sqliteColumns = "address, attributes, outputs, dependencies, updated_at"

  /// The row's columns, parsed later with the others (`StoredResourceRow.records`).
  static func storedRow(_ row: Row) throws -> StoredResourceRow {
    StoredResourceRow(
      address: try row.decode(atIndex: 0), attributes: try row.decode(atIndex: 1), outputs: try row.decode(atIndex: 2),
      dependencies: try row.decode(atIndex: 3), updatedAt: try row.decode(atIndex: 4))
  }

  /// Inserts or replaces this record.
  func upsert(_ db: Database) throws {
    try db.execute(
      sql: """
        INSERT INTO resources (address, kind, attributes, outputs, dependencies, updated_at)
        VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (address) DO UPDATE SET
          kind = excluded.kind, attributes = excluded.attributes, outputs = excluded.outputs,
          dependencies = excluded.dependencies, updated_at = excluded.updated_at
        """,
      arguments: [
        address.description, address.kind.rawValue, try StoredForm.json(attributes: attributes),
        try StoredForm.json(attributes: outputs),
        try StoredForm.json(dependencies), StoredForm.seconds(updatedAt),
      ])
  }
}

extension ModelVersionRecord {
  /// The columns `init(sqliteRow:)` reads, in its order (see `ResourceRecord.sqliteColumns`).
  static let sqliteColumns =
    "name, version, sha256, store_path, basename, size_bytes, file_count, description, tags, registered_at"

  init(sqliteRow row: Row) throws {
    try self.init(
      name: row.decode(atIndex: 0), version: row.decode(atIndex: 1), sha256: row.decode(atIndex: 2),
      storePath: row.decode(atIndex: 3), basename: row.decode(atIndex: 4), sizeBytes: row.decode(atIndex: 5),
      fileCount: row.decode(atIndex: 6), description: row.decode(atIndex: 7),
      tags: try StoredForm.strings(json: row.decode(atIndex: 8)),
      registeredAt: StoredForm.date(row.decode(atIndex: 9)))
  }

  /// Inserts this version; registering a name and version twice is a bug and fails.
  func insert(_ db: Database) throws {
    try db.execute(
      sql: """
        INSERT INTO model_versions
          (name, version, sha256, store_path, basename, size_bytes, file_count, description, tags, registered_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        name, version, sha256, storePath, basename, sizeBytes, fileCount, description, try StoredForm.json(tags),
        StoredForm.seconds(registeredAt),
      ])
  }
}

extension LockInfo {
  init(sqliteRow row: Row) throws {
    try self.init(
      id: row.decode(forColumn: "id"), who: row.decode(forColumn: "who"), host: row.decode(forColumn: "host"),
      pid: row.decode(forColumn: "pid"), operation: row.decode(forColumn: "operation"),
      since: StoredForm.date(row.decode(forColumn: "since")))
  }

  func insert(_ db: Database) throws {
    try db.execute(
      sql: "INSERT INTO lock (slot, id, who, host, pid, operation, since) VALUES (1, ?, ?, ?, ?, ?, ?)",
      arguments: [id, who, host, pid, operation, StoredForm.seconds(since)])
  }
}

extension ApplyRecord {
  init(sqliteRow row: Row, actions: [ActionRecord]) throws {
    let finished: Double? = try row.decode(forColumn: "finished_at")
    try self.init(
      id: row.decode(forColumn: "id"), operation: row.decode(forColumn: "operation"), who: row.decode(forColumn: "who"),
      planDigest: row.decode(forColumn: "plan_digest"),
      startedAt: StoredForm.date(row.decode(forColumn: "started_at")), finishedAt: finished.map(StoredForm.date),
      result: row.decode(forColumn: "result"),
      actions: actions)
  }
}

extension ActionRecord {
  init(sqliteRow row: Row) throws {
    let outcomeText: String = try row.decode(forColumn: "outcome")
    guard let outcome = ActionOutcome(rawValue: outcomeText) else {
      throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "bad action outcome '\(outcomeText)' in state"))
    }
    try self.init(
      address: try StoredForm.address(row.decode(forColumn: "address")), action: row.decode(forColumn: "action"),
      outcome: outcome, message: row.decode(forColumn: "message"),
      finishedAt: StoredForm.date(row.decode(forColumn: "finished_at")))
  }
}
