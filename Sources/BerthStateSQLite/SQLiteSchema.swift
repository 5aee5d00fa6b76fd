import BerthState
import Foundation
import GRDB

/// The SQLite store's tables, their migrations, and the version this build understands.
enum SQLiteSchema {
  /// The newest schema version this build can read and write.
  static let supportedVersion = 1

  /// Every migration, in order; each one ends by writing its number to `meta.schema_version`.
  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1", migrate: createTables)
    return migrator
  }

  /// Brings the file up to `supportedVersion`, also when other processes open it at the same moment.
  ///
  /// The migrator reads which migrations ran before it starts their transactions, so two openers of
  /// a new file may both try to create the tables; the loser looks again and finds them there.
  static func migrate(_ writer: any DatabaseWriter) throws {
    let migrator = self.migrator
    var attempt = 1
    while true {
      do {
        try migrator.migrate(writer)
        return
      } catch {
        if try writer.read(migrator.hasCompletedMigrations) { return }
        guard attempt < 5 else { throw error }
        attempt += 1
      }
    }
  }

  /// Refuses a database written by a newer Berth, before any migration touches it; returns the version found
  /// (0 for a database without Berth's tables).
  @discardableResult
  static func checkNotNewer(_ db: Database) throws -> Int {
    var found = 0
    if try db.tableExists("meta") {
      found = try Int.fetchOne(db, sql: "SELECT schema_version FROM meta WHERE slot = 1") ?? 0
    }
    // A migration this build does not know also means a newer writer, even if it forgot the version.
    if try migrator.hasBeenSuperseded(db) {
      found = max(found, supportedVersion + 1)
    }
    if found > supportedVersion {
      throw StateError.newerSchema(found: found, supported: supportedVersion)
    }
    return found
  }

  private static func createTables(_ db: Database) throws {
    try db.execute(
      sql: """
        CREATE TABLE meta (
          slot INTEGER PRIMARY KEY DEFAULT 1 CHECK (slot = 1),
          schema_version INTEGER NOT NULL,
          serial INTEGER NOT NULL
        );
        INSERT INTO meta (slot, schema_version, serial) VALUES (1, 1, 0);

        CREATE TABLE resources (
          address TEXT PRIMARY KEY NOT NULL,
          kind TEXT NOT NULL,
          attributes TEXT NOT NULL,
          outputs TEXT NOT NULL,
          dependencies TEXT NOT NULL,
          updated_at REAL NOT NULL
        );

        CREATE TABLE model_versions (
          name TEXT NOT NULL,
          version INTEGER NOT NULL,
          sha256 TEXT NOT NULL,
          store_path TEXT NOT NULL,
          basename TEXT NOT NULL,
          size_bytes INTEGER NOT NULL,
          file_count INTEGER NOT NULL,
          description TEXT,
          tags TEXT NOT NULL,
          registered_at REAL NOT NULL,
          PRIMARY KEY (name, version)
        );

        CREATE TABLE lock (
          slot INTEGER PRIMARY KEY DEFAULT 1 CHECK (slot = 1),
          id TEXT NOT NULL,
          who TEXT NOT NULL,
          host TEXT NOT NULL,
          pid INTEGER NOT NULL,
          operation TEXT NOT NULL,
          since REAL NOT NULL
        );

        CREATE TABLE applies (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          operation TEXT NOT NULL,
          who TEXT NOT NULL,
          plan_digest TEXT NOT NULL,
          started_at REAL NOT NULL,
          finished_at REAL,
          result TEXT NOT NULL
        );

        CREATE TABLE apply_actions (
          apply_id INTEGER NOT NULL REFERENCES applies (id) ON DELETE CASCADE,
          seq INTEGER NOT NULL,
          address TEXT NOT NULL,
          action TEXT NOT NULL,
          outcome TEXT NOT NULL,
          message TEXT NOT NULL,
          finished_at REAL NOT NULL,
          PRIMARY KEY (apply_id, seq)
        );
        """)
  }
}
