import BerthState
import Foundation
import GRDB

/// What every connection to the state file sets up before its first statement.
enum SQLiteConnectionSetup {
  /// WAL so that readers never block the writer; `synchronous=FULL` so that a commit that
  /// returned is on disk. Set by hand: GRDB's `journalMode = .wal` would lower `synchronous` to NORMAL.
  static func prepare(_ db: Database, patience: TimeInterval) throws {
    try enableWAL(db, patience: patience)
    try db.execute(sql: "PRAGMA synchronous = FULL")
  }

  /// Switches the file to WAL, retrying while another opener switches it at the same moment.
  ///
  /// SQLite answers a racing journal-mode change with SQLITE_BUSY at once, without consulting
  /// the busy timeout, so this waits here instead.
  private static func enableWAL(_ db: Database, patience: TimeInterval) throws {
    let deadline = Date().addingTimeInterval(patience)
    while true {
      do {
        if try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal" { return }
        let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
        guard mode == "wal" else {
          throw DatabaseError(message: "could not switch \(db.description) to WAL (journal mode stays \(mode ?? "unknown"))")
        }
        return
      } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && Date() < deadline {
        Thread.sleep(forTimeInterval: 0.02)
      }
    }
  }
}
