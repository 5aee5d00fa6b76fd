import BerthModel
import Foundation

/// Reads and writes recorded state. Every write is its own transaction, durable when it returns.
public protocol StateStoring: Sendable {
  /// All records and model versions, read consistently.
  func snapshot() async throws -> StateSnapshot

  /// Starts an apply in the history and returns its id.
  func beginApply(operation: String, who: String, planDigest: String, at: Date) async throws -> Int64

  /// Records one finished action and its record change atomically.
  func record(_ completion: ActionCompletion) async throws

  /// Marks an apply finished with its overall result.
  func finishApply(id: Int64, result: String, at: Date) async throws

  /// Most recent applies first.
  func history(limit: Int) async throws -> [ApplyRecord]

  /// Removes a resource record without touching what runs (`berth state rm`).
  func removeRecord(_ address: ResourceAddress) async throws -> Bool

  /// Puts a record without an apply (`berth import`).
  func importRecord(_ record: ResourceRecord) async throws
}

/// Keeps two applies from changing state at once.
public protocol Locking: Sendable {
  /// Takes the lock, waiting up to `timeout` seconds (0: fail at once) while a live holder has it.
  /// A lock left by a dead process on this machine is taken over.
  func acquire(operation: String, who: String, timeout: TimeInterval) async throws -> LockInfo

  func release(_ lock: LockInfo) async throws

  /// The current holder, if any.
  func currentLock() async throws -> LockInfo?

  /// Clears a lock by id (`berth state unlock ID`); false when no lock has that id.
  func forceUnlock(id: String) async throws -> Bool
}

/// Errors of the state layer that a user can act on.
public enum StateError: Error, Equatable, CustomStringConvertible {
  /// Another run holds the lock.
  case locked(LockInfo)
  /// The state was written by a newer Berth.
  case newerSchema(found: Int, supported: Int)
  /// The state location could not be understood.
  case badLocation(String)

  public var description: String {
    switch self {
    case .locked(let info):
      "state is locked: \(info)\n  hint: wait for it, pass --lock-timeout, or run `berth state unlock \(info.id)` if that run is gone"
    case .newerSchema(let found, let supported):
      "state schema version \(found) is newer than this Berth supports (\(supported)); upgrade berth"
    case .badLocation(let text):
      "cannot use state location '\(text)'; expected sqlite:PATH or postgres://…"
    }
  }
}
