import BerthState
import Foundation
import PostgresNIO

/// The PostgreSQL store's tables in their schema, their migrations, and the version this build understands.
struct PostgresSchema: Sendable {
  /// The newest schema version this build can read and write.
  static let supportedVersion = 1

  /// The schema's name, quoted for SQL.
  let quoted: String
  /// The session advisory lock that is the state lock; keys are per database, so per schema here.
  let lockKey: Int64
  /// The transaction advisory lock that keeps two first openers from migrating at once.
  let migrationKey: Int64

  init(name: String) {
    quoted = "\"\(name)\""
    lockKey = Self.key("berth.state.lock:\(name)")
    migrationKey = Self.key("berth.state.migrate:\(name)")
  }

  var meta: String { "\(quoted).meta" }
  var resources: String { "\(quoted).resources" }
  var modelVersions: String { "\(quoted).model_versions" }
  var lockInfo: String { "\(quoted).lock_info" }
  var applies: String { "\(quoted).applies" }
  var applyActions: String { "\(quoted).apply_actions" }

  /// `pg_locks` shows a bigint advisory key as two 32-bit halves; this matches `lockKey` held by `l`.
  var lockRowCondition: String {
    let high = (UInt64(bitPattern: lockKey) >> 32) & 0xffff_ffff
    let low = UInt64(bitPattern: lockKey) & 0xffff_ffff
    return """
      l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid::bigint = \(high) \
      AND l.objid::bigint = \(low) AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      """
  }

  /// Every migration, in order, as single statements; each version is recorded in `meta` after it ran.
  var migrations: [(version: Int, statements: [String])] {
    [(1, version1)]
  }

  /// The schema version recorded in `meta`, or nil when no Berth state was ever written here. Reads only.
  func existingVersion(_ connection: PostgresConnection, logger: Logger) async throws -> Int? {
    let rows = try await connection.rows("SELECT to_regclass(\("\(quoted).meta")) IS NOT NULL", logger: logger)
    guard try rows.first?.decode(Bool.self) == true else { return nil }
    let version = try await connection.rows("SELECT schema_version FROM \(unescaped: meta) WHERE slot = 1", logger: logger)
    return try version.first?.decode(Int.self) ?? 0
  }

  /// Brings the schema up to `supportedVersion` in one transaction, refusing one written by a newer Berth.
  func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
    try await PostgresTransaction.run(on: connection, logger: logger) { connection in
      try await connection.rows("SELECT pg_advisory_xact_lock(\(migrationKey))", logger: logger)
      let rows = try await connection.rows(
        "SELECT to_regclass(\("\(quoted).meta")) IS NOT NULL", logger: logger
      )
      var found = 0
      if try rows.first?.decode(Bool.self) == true {
        let version = try await connection.rows(
          "SELECT schema_version FROM \(unescaped: meta) WHERE slot = 1", logger: logger
        )
        found = try version.first?.decode(Int.self) ?? 0
      }
      if found > Self.supportedVersion {
        throw StateError.newerSchema(found: found, supported: Self.supportedVersion)
      }
      for migration in migrations where migration.version > found {
        for statement in migration.statements {
          try await connection.rows(PostgresQuery(unsafeSQL: statement), logger: logger)
        }
        try await connection.rows(
          "UPDATE \(unescaped: meta) SET schema_version = \(migration.version) WHERE slot = 1", logger: logger)
      }
    }
  }

  private var version1: [String] {
    [
      "CREATE SCHEMA IF NOT EXISTS \(quoted)",
      """
      CREATE TABLE \(meta) (
        slot integer PRIMARY KEY DEFAULT 1 CHECK (slot = 1),
        schema_version integer NOT NULL,
        serial bigint NOT NULL
      )
      """,
      "INSERT INTO \(meta) (slot, schema_version, serial) VALUES (1, 0, 0)",
      """
      CREATE TABLE \(resources) (
        address text PRIMARY KEY,
        kind text NOT NULL,
        attributes jsonb NOT NULL,
        outputs jsonb NOT NULL,
        dependencies jsonb NOT NULL,
        updated_at timestamptz NOT NULL
      )
      """,
      """
      CREATE TABLE \(modelVersions) (
        name text NOT NULL,
        version integer NOT NULL,
        sha256 text NOT NULL,
        store_path text NOT NULL,
        basename text NOT NULL,
        size_bytes bigint NOT NULL,
        file_count integer NOT NULL,
        description text,
        tags jsonb NOT NULL,
        registered_at timestamptz NOT NULL,
        PRIMARY KEY (name, version)
      )
      """,
      """
      CREATE TABLE \(lockInfo) (
        slot integer PRIMARY KEY DEFAULT 1 CHECK (slot = 1),
        id text NOT NULL,
        who text NOT NULL,
        host text NOT NULL,
        pid integer NOT NULL,
        operation text NOT NULL,
        since timestamptz NOT NULL,
        backend_pid integer NOT NULL
      )
      """,
      """
      CREATE TABLE \(applies) (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        operation text NOT NULL,
        who text NOT NULL,
        plan_digest text NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        result text NOT NULL
      )
      """,
      """
      CREATE TABLE \(applyActions) (
        apply_id bigint NOT NULL REFERENCES \(applies) (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        address text NOT NULL,
        action text NOT NULL,
        outcome text NOT NULL,
        message text NOT NULL,
        finished_at timestamptz NOT NULL,
        PRIMARY KEY (apply_id, seq)
      )
      """,
    ]
  }

  /// FNV-1a: a stable 64-bit key from a name (Swift's `hashValue` changes from run to run).
  static func key(_ name: String) -> Int64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in name.utf8 {
      hash ^= UInt64(byte)
      hash = hash &* 0x0100_0000_01b3
    }
    return Int64(bitPattern: hash)
  }
}

/// Runs statements in one transaction on one connection.
enum PostgresTransaction {
  /// BEGIN, `body`, COMMIT; on any error ROLLBACK and rethrow that error (not a wrapper).
  static func run<T>(
    on connection: PostgresConnection, logger: Logger, readOnly: Bool = false,
    _ body: (PostgresConnection) async throws -> T
  ) async throws -> T {
    try await connection.rows(readOnly ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN", logger: logger)
    do {
      let value = try await body(connection)
      try await connection.rows("COMMIT", logger: logger)
      return value
    } catch {
      _ = try? await connection.rows("ROLLBACK", logger: logger)
      throw error
    }
  }
}
