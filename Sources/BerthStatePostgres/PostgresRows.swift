import BerthModel
import BerthState
import Foundation
import PostgresNIO

// Rows are selected with JSON columns as `::text` and dates as `extract(epoch FROM …)::float8`,
// in the column order each initializer reads.

extension ResourceRecord {
  /// From `address, attributes, outputs, dependencies, updated_at`.
  /// The row's columns, parsed later with the others (`StoredResourceRow.records`).
  static func storedRow(_ row: PostgresRow) throws -> StoredResourceRow {
    let (address, attributes, outputs, dependencies, updatedAt) = try row.decode(
      (String, String, String, String, Double).self)
    return StoredResourceRow(
      address: address, attributes: attributes, outputs: outputs, dependencies: dependencies, updatedAt: updatedAt)
  }

  /// Inserts or replaces this record.
  func upsert(_ connection: PostgresConnection, _ schema: PostgresSchema, _ logger: Logger) async throws {
    let attributes = try StoredForm.json(attributes: attributes)
    let outputs = try StoredForm.json(attributes: outputs)
    let dependencies = try StoredForm.json(dependencies)
    try await connection.rows(
      """
      INSERT INTO \(unescaped: schema.resources) (address, kind, attributes, outputs, dependencies, updated_at)
      VALUES (\(address.description), \(address.kind.rawValue), \(attributes)::jsonb, \(outputs)::jsonb,
        \(dependencies)::jsonb, to_timestamp(\(StoredForm.seconds(updatedAt))))
      ON CONFLICT (address) DO UPDATE SET
        kind = excluded.kind, attributes = excluded.attributes, outputs = excluded.outputs,
        dependencies = excluded.dependencies, updated_at = excluded.updated_at
      """, logger: logger)
  }
}

extension ModelVersionRecord {
  /// From `name, version, sha256, store_path, basename, size_bytes, file_count, description, tags, registered_at`.
  init(postgresRow row: PostgresRow) throws {
    let (name, version, sha256, storePath, basename, sizeBytes, fileCount, description, tags, registeredAt) =
      try row.decode((String, Int, String, String, String, Int64, Int, String?, String, Double).self)
    self.init(
      name: name, version: version, sha256: sha256, storePath: storePath, basename: basename, sizeBytes: sizeBytes,
      fileCount: fileCount, description: description,
      tags: try StoredForm.strings(json: tags),
      registeredAt: StoredForm.date(registeredAt))
  }

  /// Inserts this version; registering a name and version twice is a bug and fails.
  func insert(_ connection: PostgresConnection, _ schema: PostgresSchema, _ logger: Logger) async throws {
    let tags = try StoredForm.json(tags)
    try await connection.rows(
      """
      INSERT INTO \(unescaped: schema.modelVersions)
        (name, version, sha256, store_path, basename, size_bytes, file_count, description, tags, registered_at)
      VALUES (\(name), \(version), \(sha256), \(storePath), \(basename), \(sizeBytes), \(fileCount), \(description),
        \(tags)::jsonb, to_timestamp(\(StoredForm.seconds(registeredAt))))
      """, logger: logger)
  }
}

extension ApplyRecord {
  /// From `id, operation, who, plan_digest, started_at, finished_at, result`; actions come separately.
  init(postgresRow row: PostgresRow) throws {
    let (id, operation, who, planDigest, startedAt, finishedAt, result) = try row.decode(
      (Int64, String, String, String, Double, Double?, String).self)
    self.init(
      id: id, operation: operation, who: who, planDigest: planDigest, startedAt: StoredForm.date(startedAt),
      finishedAt: finishedAt.map(StoredForm.date), result: result, actions: [])
  }
}

extension ActionRecord {
  /// From `apply_id, address, action, outcome, message, finished_at`.
  static func decode(postgresRow row: PostgresRow) throws -> (applyID: Int64, action: ActionRecord) {
    let (applyID, address, action, outcomeText, message, finishedAt) = try row.decode(
      (Int64, String, String, String, String, Double).self)
    guard let outcome = ActionOutcome(rawValue: outcomeText) else {
      throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "bad action outcome '\(outcomeText)' in state"))
    }
    let record = ActionRecord(
      address: try StoredForm.address(address), action: action, outcome: outcome, message: message,
      finishedAt: StoredForm.date(finishedAt))
    return (applyID, record)
  }
}

extension LockInfo {
  /// From `id, who, host, pid, operation, since`.
  init(postgresRow row: PostgresRow) throws {
    let (id, who, host, pid, operation, since) = try row.decode((String, String, String, Int32, String, Double).self)
    self.init(id: id, who: who, host: host, pid: pid, operation: operation, since: StoredForm.date(since))
  }
}
