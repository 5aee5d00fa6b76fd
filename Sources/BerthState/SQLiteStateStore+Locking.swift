import Foundation
import GRDB

extension SQLiteStateStore {
  /// How often a waiting `acquire` looks at the lock again.
  static let lockPollInterval = Duration.milliseconds(200)

  /// The outcome of one look at the lock row.
  private enum LockAttempt: Sendable {
    case acquired(LockInfo)
    case held(LockInfo)
  }

  public func acquire(operation: String, who: String, timeout: TimeInterval) async throws -> LockInfo {
    let clock = ContinuousClock()
    let deadline = timeout.isFinite ? clock.now.advanced(by: .seconds(max(0, timeout))) : nil
    while true {
      switch try await attemptLock(operation: operation, who: who) {
      case .acquired(let info):
        return info
      case .held(let holder):
        let now = clock.now
        guard let deadline else {
          try await Task.sleep(for: Self.lockPollInterval)
          continue
        }
        guard now < deadline else { throw StateError.locked(holder) }
        try await Task.sleep(for: min(Self.lockPollInterval, now.duration(to: deadline)))
      }
    }
  }

  /// Deletes the lock row if it is still `lock`'s; done even from a cancelled task.
  public func release(_ lock: LockInfo) async throws {
    try await writeEvenIfCancelled { db in
      try db.execute(sql: "DELETE FROM lock WHERE id = ?", arguments: [lock.id])
    }
  }

  public func currentLock() async throws -> LockInfo? {
    try await database.read { db in
      try Row.fetchOne(db, sql: "SELECT * FROM lock WHERE slot = 1").map(LockInfo.init(sqliteRow:))
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
        let holder = LockInfo(sqliteRow: row)
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
