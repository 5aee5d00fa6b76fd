import BerthModel
import BerthState
import Foundation
import Testing

/// Makes a fresh, empty store, its own on every call.
typealias StoreFactory = @Sendable () async throws -> any StateStoring & Locking

/// The record-keeping contract every state store keeps; run each case against a store's factory.
///
/// A store's tests run these with `@Test(arguments: StateConformance.allCases)`, so a new backend
/// (PostgreSQL) gets the whole contract by writing a factory. Locking lives in `LockConformance`.
enum StateConformance: String, CaseIterable, Sendable {
  case startsEmpty
  case recordsRoundTrip
  case serialCountsWrites
  case failedRecordWritesNothing
  case recordRemovesResourceAndModel
  case removeAndImportRecords
  case historyIsNewestFirst
  case cancelledRunStillRecords

  func run(_ make: StoreFactory) async throws {
    let store = try await make()
    switch self {
    case .startsEmpty: try await Self.startsEmpty(store)
    case .recordsRoundTrip: try await Self.recordsRoundTrip(store)
    case .serialCountsWrites: try await Self.serialCountsWrites(store)
    case .failedRecordWritesNothing: try await Self.failedRecordWritesNothing(store)
    case .recordRemovesResourceAndModel: try await Self.recordRemovesResourceAndModel(store)
    case .removeAndImportRecords: try await Self.removeAndImportRecords(store)
    case .historyIsNewestFirst: try await Self.historyIsNewestFirst(store)
    case .cancelledRunStillRecords: try await Self.cancelledRunStillRecords(store)
    }
  }

  static func startsEmpty(_ store: any StateStoring & Locking) async throws {
    #expect(try await store.snapshot() == StateSnapshot())
    #expect(try await store.history(limit: 10).isEmpty)
    #expect(try await store.currentLock() == nil)
  }

  static func recordsRoundTrip(_ store: any StateStoring & Locking) async throws {
    let applyID = try await store.beginApply(operation: "apply", who: "ada", planDigest: "d1g3st", at: Sample.time(0))
    let model = Sample.model("diabetes-ridge")
    let service = Sample.service("diabetes-local")
    let completions = [
      Sample.completion(
        applyID, model.address, action: "register", change: .put(model),
        modelVersion: Sample.modelVersion("diabetes-ridge", 1), at: 3),
      Sample.completion(
        applyID, model.address, action: "register", change: .put(model),
        modelVersion: Sample.modelVersion("diabetes-ridge", 2), at: 4),
      Sample.completion(applyID, service.address, change: .put(service), at: 5),
      Sample.completion(applyID, ResourceAddress(.service, "broken"), outcome: .failed, at: 6),
    ]
    for completion in completions { try await store.record(completion) }
    try await store.finishApply(id: applyID, result: "failed", at: Sample.time(7))

    let snapshot = try await store.snapshot()
    #expect(snapshot.resources == [model.address: model, service.address: service])
    #expect(snapshot.modelVersions == ["diabetes-ridge": [1, 2].map { Sample.modelVersion("diabetes-ridge", $0) }])
    #expect(snapshot.latestVersion(of: "diabetes-ridge")?.version == 2)
    #expect(snapshot.serial == 4)

    let expected = ApplyRecord(
      id: applyID, operation: "apply", who: "ada", planDigest: "d1g3st", startedAt: Sample.time(0),
      finishedAt: Sample.time(7), result: "failed", actions: completions.map(Sample.actionRecord(of:)))
    #expect(try await store.history(limit: 5) == [expected])
  }

  static func serialCountsWrites(_ store: any StateStoring & Locking) async throws {
    let applyID = try await store.beginApply(operation: "apply", who: "ada", planDigest: "d", at: Sample.time(0))
    var serials = [try await store.snapshot().serial]
    try await store.record(Sample.completion(applyID, ResourceAddress(.service, "a")))
    serials.append(try await store.snapshot().serial)
    try await store.importRecord(Sample.service("b"))
    serials.append(try await store.snapshot().serial)
    #expect(try await store.removeRecord(ResourceAddress(.service, "b")))
    serials.append(try await store.snapshot().serial)
    #expect(serials == [0, 1, 2, 3])

    // Neither a removal that found nothing nor locking is a write.
    #expect(try await store.removeRecord(ResourceAddress(.service, "b")) == false)
    let lock = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    try await store.release(lock)
    #expect(try await store.snapshot().serial == 3)
  }

  static func failedRecordWritesNothing(_ store: any StateStoring & Locking) async throws {
    let applyID = try await store.beginApply(operation: "apply", who: "ada", planDigest: "d", at: Sample.time(0))
    let model = Sample.model("diabetes-ridge")
    let first = Sample.completion(
      applyID, model.address, action: "register", change: .put(model), modelVersion: Sample.modelVersion("diabetes-ridge", 1))
    try await store.record(first)
    let before = try await store.snapshot()

    // Registering version 1 again fails inside the transaction, after the record change was written.
    let service = Sample.service("diabetes-local")
    let duplicate = Sample.completion(
      applyID, service.address, change: .put(service), modelVersion: Sample.modelVersion("diabetes-ridge", 1))
    await #expect(throws: (any Error).self) { try await store.record(duplicate) }

    #expect(try await store.snapshot() == before)
    #expect(try await store.history(limit: 1).first?.actions == [Sample.actionRecord(of: first)])
  }

  static func recordRemovesResourceAndModel(_ store: any StateStoring & Locking) async throws {
    let applyID = try await store.beginApply(operation: "destroy", who: "ada", planDigest: "d", at: Sample.time(0))
    for name in ["keep", "drop"] {
      for version in [1, 2] {
        try await store.record(
          Sample.completion(
            applyID, ResourceAddress(.model, name), action: "register", change: .put(Sample.model(name)),
            modelVersion: Sample.modelVersion(name, version)))
      }
    }
    try await store.record(
      Sample.completion(
        applyID, ResourceAddress(.model, "drop"), action: "delete", change: .remove(ResourceAddress(.model, "drop")),
        removedModel: "drop"))

    let snapshot = try await store.snapshot()
    #expect(Array(snapshot.resources.keys) == [ResourceAddress(.model, "keep")])
    #expect(snapshot.modelVersions == ["keep": [Sample.modelVersion("keep", 1), Sample.modelVersion("keep", 2)]])
  }

  static func removeAndImportRecords(_ store: any StateStoring & Locking) async throws {
    var service = Sample.service("imported")
    try await store.importRecord(service)
    service.attributes["deployment.port"] = .int(9000)
    service.updatedAt = Sample.time(9)
    try await store.importRecord(service)
    #expect(try await store.snapshot().resources == [service.address: service])

    #expect(try await store.removeRecord(service.address))
    #expect(try await store.removeRecord(service.address) == false)
    #expect(try await store.snapshot().resources.isEmpty)
    #expect(try await store.history(limit: 10).isEmpty)
  }

  static func historyIsNewestFirst(_ store: any StateStoring & Locking) async throws {
    var ids: [Int64] = []
    for (index, operation) in ["apply", "apply", "destroy"].enumerated() {
      ids.append(
        try await store.beginApply(operation: operation, who: "ada", planDigest: "d\(index)", at: Sample.time(Double(index))))
    }
    // Interleaved actions of two applies keep their own order.
    let a = ResourceAddress(.service, "a")
    let b = ResourceAddress(.service, "b")
    let interleaved = [
      Sample.completion(ids[0], a, at: 10), Sample.completion(ids[1], b, at: 11),
      Sample.completion(ids[0], b, action: "update", at: 12), Sample.completion(ids[0], a, action: "delete", at: 13),
    ]
    for completion in interleaved { try await store.record(completion) }
    try await store.finishApply(id: ids[0], result: "succeeded", at: Sample.time(20))
    try await store.finishApply(id: ids[1], result: "failed", at: Sample.time(21))

    let history = try await store.history(limit: 10)
    #expect(history.map(\.id) == ids.reversed())
    #expect(history.map(\.result) == ["running", "failed", "succeeded"])
    #expect(history[0].finishedAt == nil)
    #expect(history[0].operation == "destroy")
    #expect(history[2].actions == [interleaved[0], interleaved[2], interleaved[3]].map(Sample.actionRecord(of:)))
    #expect(history[1].actions == [Sample.actionRecord(of: interleaved[1])])
    #expect(try await store.history(limit: 2).map(\.id) == [ids[2], ids[1]])
    #expect(try await store.history(limit: 0).isEmpty)
  }

  /// An apply that is cancelled (Ctrl-C) still records what already happened and frees the lock.
  static func cancelledRunStillRecords(_ store: any StateStoring & Locking) async throws {
    let applyID = try await store.beginApply(operation: "apply", who: "ada", planDigest: "d", at: Sample.time(0))
    let lock = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    let service = Sample.service("s")
    let cancelled = Task {
      withUnsafeCurrentTask { $0?.cancel() }
      try await store.record(Sample.completion(applyID, service.address, change: .put(service)))
      try await store.finishApply(id: applyID, result: "failed", at: Sample.time(9))
      try await store.release(lock)
    }
    try await cancelled.value

    #expect(try await store.snapshot().resources == [service.address: service])
    #expect(try await store.history(limit: 1).first?.result == "failed")
    #expect(try await store.currentLock() == nil)
  }
}
