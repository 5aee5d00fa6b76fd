import BerthModel
import BerthState
import Foundation

/// State in memory, with the same contract as the SQLite and PostgreSQL stores.
public actor InMemoryStateStore: StateStoring, Locking {
  private var state = StateSnapshot()
  private var applies: [ApplyRecord] = []
  private var lock: LockInfo?
  private var nextApplyID: Int64 = 1
  /// When set, `record` throws after this many successful calls (to test a broken state backend).
  private var failRecordAfter: Int?
  private var recordCalls = 0

  public init(_ snapshot: StateSnapshot = StateSnapshot()) {
    state = snapshot
  }

  public func failRecords(after count: Int) { failRecordAfter = count }

  public func snapshot() -> StateSnapshot { state }

  public func beginApply(operation: String, who: String, planDigest: String, at: Date) -> Int64 {
    defer { nextApplyID += 1 }
    applies.append(
      ApplyRecord(
        id: nextApplyID, operation: operation, who: who, planDigest: planDigest, startedAt: at, finishedAt: nil,
        result: "running", actions: []))
    return nextApplyID
  }

  public func record(_ completion: ActionCompletion) throws {
    recordCalls += 1
    if let limit = failRecordAfter, recordCalls > limit {
      throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "disk full (simulated)"])
    }
    switch completion.change {
    case .put(let record): state.resources[record.address] = record
    case .remove(let address): state.resources[address] = nil
    case .move(let from, let record):
      state.resources[from] = nil
      state.resources[record.address] = record
      if from.kind == .model, from.name != record.address.name, let versions = state.modelVersions.removeValue(forKey: from.name)
      {
        state.modelVersions[record.address.name] = versions.map { version in
          var moved = version
          moved.name = record.address.name
          return moved
        }
      }
    case .none: break
    }
    if let version = completion.modelVersion { state.modelVersions[version.name, default: []].append(version) }
    if let removed = completion.removedModel { state.modelVersions[removed] = nil }
    if let index = applies.firstIndex(where: { $0.id == completion.applyID }) {
      applies[index].actions.append(
        ActionRecord(
          address: completion.address, action: completion.action, outcome: completion.outcome, message: completion.message,
          finishedAt: completion.finishedAt))
    }
    state.serial += 1
  }

  public func finishApply(id: Int64, result: String, at: Date) {
    guard let index = applies.firstIndex(where: { $0.id == id }) else { return }
    applies[index].finishedAt = at
    applies[index].result = result
  }

  public func history(limit: Int) -> [ApplyRecord] { Array(applies.reversed().prefix(limit)) }

  public func removeRecord(_ address: ResourceAddress) -> Bool {
    guard state.resources.removeValue(forKey: address) != nil else { return false }
    state.serial += 1
    return true
  }

  public func importRecord(_ record: ResourceRecord) {
    state.resources[record.address] = record
    state.serial += 1
  }

  public func acquire(operation: String, who: String, timeout: TimeInterval) throws -> LockInfo {
    if let lock { throw StateError.locked(lock) }
    let info = LockInfo(
      id: String(UUID().uuidString.prefix(8)).lowercased(), who: who, host: "memory", pid: getpid(), operation: operation,
      since: Date())
    lock = info
    return info
  }

  public func release(_ info: LockInfo) {
    if lock?.id == info.id { lock = nil }
  }

  public func currentLock() -> LockInfo? { lock }

  public func forceUnlock(id: String) -> Bool {
    guard lock?.id == id else { return false }
    lock = nil
    return true
  }
}
