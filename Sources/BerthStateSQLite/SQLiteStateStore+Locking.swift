import BerthState
import Foundation
import GRDB

extension SQLiteStateStore {
  /// How often a waiting `acquire` looks at the lock again.
  static let lockPollInterval = Duration.milliseconds(200)

  public func acquire(operation: String, who: String, timeout: TimeInterval) async throws -> LockInfo {
    try await LockWaiting.acquire(timeout: timeout, interval: Self.lockPollInterval) {
      try await attemptLock(operation: operation, who: who)
    }
  }

  /// Deletes the lock row if it is still `lock`'s; done even from a cancelled task.
  public func release(_ lock: LockInfo) async throws {
    try await writeEvenIfCancelled { db in
      try db.execute(sql: "DELETE FROM lock WHERE id = ?", arguments: [lock.id])
    }
  }

  public func currentLock() async throws -> LockInfo? {
    try await named {
      try await database.read { db in
        try Row.fetchOne(db, sql: "SELECT * FROM lock WHERE slot = 1").map(LockInfo.init(sqliteRow:))
      }
    }
  }

  public func forceUnlock(id: String) async throws -> Bool {
    try await database.write { db in
      try db.execute(sql: "DELETE FROM lock WHERE id = ?", arguments: [id])
      return db.changesCount > 0
    }
  }

  /// Takes the lock if it is free or its holder died on this machine; otherwise names the holder.
  private func attemptLock(operation: String, who: String) async throws -> LockAttempt {
    let identity = self.identity
    return try await database.write { db in
      if let row = try Row.fetchOne(db, sql: "SELECT * FROM lock WHERE slot = 1") {
        let holder = try LockInfo(sqliteRow: row)
        // Only a process on this machine can be known dead; a remote holder must be unlocked by hand.
        guard holder.host == identity.host, !ProcessIdentity.isAlive(pid: holder.pid) else {
          return .held(holder)
        }
        try db.execute(sql: "DELETE FROM lock WHERE slot = 1")
      }
      // `since` is rounded to what the column keeps, so the caller's value equals what others read.
      let info = LockInfo(
        id: ProcessIdentity.newLockID(), who: who, host: identity.host, pid: identity.pid, operation: operation,
        since: StoredForm.date(StoredForm.seconds(Date())))
      try info.insert(db)
      return .acquired(info)
    }
  }
}
