import BerthModel
import BerthState
import Foundation
import GRDB

extension ResourceRecord {
  init(sqliteRow row: Row) throws {
    self.init(
      address: try StoredForm.address(row["address"]),
      attributes: try StoredForm.attributes(json: row["attributes"]),
      outputs: try StoredForm.attributes(json: row["outputs"]),
      dependencies: try StoredForm.decode([ResourceAddress].self, json: row["dependencies"]),
      updatedAt: StoredForm.date(row["updated_at"]))
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
  init(sqliteRow row: Row) throws {
    self.init(
      name: row["name"], version: row["version"], sha256: row["sha256"], storePath: row["store_path"],
      basename: row["basename"], sizeBytes: row["size_bytes"], fileCount: row["file_count"],
      description: row["description"], tags: try StoredForm.decode([String: String].self, json: row["tags"]),
      registeredAt: StoredForm.date(row["registered_at"]))
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
  init(sqliteRow row: Row) {
    self.init(
      id: row["id"], who: row["who"], host: row["host"], pid: row["pid"], operation: row["operation"],
      since: StoredForm.date(row["since"]))
  }

  func insert(_ db: Database) throws {
    try db.execute(
      sql: "INSERT INTO lock (slot, id, who, host, pid, operation, since) VALUES (1, ?, ?, ?, ?, ?, ?)",
      arguments: [id, who, host, pid, operation, StoredForm.seconds(since)])
  }
}

extension ApplyRecord {
  init(sqliteRow row: Row, actions: [ActionRecord]) {
    let finished: Double? = row["finished_at"]
    self.init(
      id: row["id"], operation: row["operation"], who: row["who"], planDigest: row["plan_digest"],
      startedAt: StoredForm.date(row["started_at"]), finishedAt: finished.map(StoredForm.date), result: row["result"],
      actions: actions)
  }
}

extension ActionRecord {
  init(sqliteRow row: Row) throws {
    let outcomeText: String = row["outcome"]
    guard let outcome = ActionOutcome(rawValue: outcomeText) else {
      throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "bad action outcome '\(outcomeText)' in state"))
    }
    self.init(
      address: try StoredForm.address(row["address"]), action: row["action"], outcome: outcome, message: row["message"],
      finishedAt: StoredForm.date(row["finished_at"]))
  }
}
