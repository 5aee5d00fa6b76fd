import BerthModel
import BerthState
import Foundation

/// The record-keeping contract every state store keeps; run each case against a store's factory.
///
/// A store's tests run these with `@Test(arguments: StateConformance.allCases)`, so a new backend
/// gets the whole contract by writing a factory. A broken promise throws `ConformanceFailure`.
/// Locking lives in `LockConformance`.
public enum StateConformance: String, CaseIterable, Sendable {
  case startsEmpty
  case recordsRoundTrip
  case serialCountsWrites
  case failedRecordWritesNothing
  case recordRemovesResourceAndModel
  case removeAndImportRecords
  case moveRenamesRecordAndModelVersions
  case historyIsNewestFirst
  case cancelledRunStillRecords

  public func run(_ make: StoreFactory) async throws {
    let store = try await make()
    switch self {
    case .startsEmpty: try await Self.startsEmpty(store)
    case .recordsRoundTrip: try await Self.recordsRoundTrip(store)
    case .serialCountsWrites: try await Self.serialCountsWrites(store)
    case .failedRecordWritesNothing: try await Self.failedRecordWritesNothing(store)
    case .recordRemovesResourceAndModel: try await Self.recordRemovesResourceAndModel(store)
    case .removeAndImportRecords: try await Self.removeAndImportRecords(store)
    case .moveRenamesRecordAndModelVersions: try await Self.moveRenamesRecordAndModelVersions(store)
    case .historyIsNewestFirst: try await Self.historyIsNewestFirst(store)
    case .cancelledRunStillRecords: try await Self.cancelledRunStillRecords(store)
    }
  }

  static func startsEmpty(_ store: any StateStoring & Locking) async throws {
    try Check.equal(try await store.snapshot(), StateSnapshot(), "snapshot of a new store")
    try Check.equal(try await store.history(limit: 10), [], "history of a new store")
    try Check.equal(try await store.currentLock(), nil, "lock of a new store")
  }

  static func recordsRoundTrip(_ store: any StateStoring & Locking) async throws {
    let applyID = try await store.beginApply(operation: "apply", who: "ada", planDigest: "d1g3st", at: StateSample.time(0))
    let model = StateSample.model("diabetes-ridge")
    let service = StateSample.service("diabetes-local")
    let completions = [
      StateSample.completion(
        applyID, model.address, action: "register", change: .put(model),
        modelVersion: StateSample.modelVersion("diabetes-ridge", 1), at: 3),
      StateSample.completion(
        applyID, model.address, action: "register", change: .put(model),
        modelVersion: StateSample.modelVersion("diabetes-ridge", 2), at: 4),
      StateSample.completion(applyID, service.address, change: .put(service), at: 5),
      StateSample.completion(applyID, ResourceAddress(.service, "broken"), outcome: .failed, at: 6),
    ]
    for completion in completions { try await store.record(completion) }
    try await store.finishApply(id: applyID, result: "failed", at: StateSample.time(7))

    let snapshot = try await store.snapshot()
    try Check.equal(snapshot.resources, [model.address: model, service.address: service], "resources")
    try Check.equal(
      snapshot.modelVersions, ["diabetes-ridge": [1, 2].map { StateSample.modelVersion("diabetes-ridge", $0) }],
      "model versions")
    try Check.equal(snapshot.latestVersion(of: "diabetes-ridge")?.version, 2, "latest version")
    try Check.equal(snapshot.serial, 4, "serial")

    let expected = ApplyRecord(
      id: applyID, operation: "apply", who: "ada", planDigest: "d1g3st", startedAt: StateSample.time(0),
      finishedAt: StateSample.time(7), result: "failed", actions: completions.map(StateSample.actionRecord(of:)))
    try Check.equal(try await store.history(limit: 5), [expected], "history")
  }

  static func serialCountsWrites(_ store: any StateStoring & Locking) async throws {
    let applyID = try await store.beginApply(operation: "apply", who: "ada", planDigest: "d", at: StateSample.time(0))
    var serials = [try await store.snapshot().serial]
    try await store.record(StateSample.completion(applyID, ResourceAddress(.service, "a")))
    serials.append(try await store.snapshot().serial)
    try await store.importRecord(StateSample.service("b"))
    serials.append(try await store.snapshot().serial)
    try Check.that(try await store.removeRecord(ResourceAddress(.service, "b")), "removing a recorded resource")
    serials.append(try await store.snapshot().serial)
    try Check.equal(serials, [0, 1, 2, 3], "serials after record, import, remove")

    // Neither a removal that found nothing nor locking is a write.
    try Check.equal(try await store.removeRecord(ResourceAddress(.service, "b")), false, "removing it again")
    let lock = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    try await store.release(lock)
    try Check.equal(try await store.snapshot().serial, 3, "serial after a no-op removal and locking")
  }

  static func failedRecordWritesNothing(_ store: any StateStoring & Locking) async throws {
    let applyID = try await store.beginApply(operation: "apply", who: "ada", planDigest: "d", at: StateSample.time(0))
    let model = StateSample.model("diabetes-ridge")
    let first = StateSample.completion(
      applyID, model.address, action: "register", change: .put(model),
      modelVersion: StateSample.modelVersion("diabetes-ridge", 1))
    try await store.record(first)
    let before = try await store.snapshot()

    // Registering version 1 again fails inside the transaction, after the record change was written.
    let service = StateSample.service("diabetes-local")
    let duplicate = StateSample.completion(
      applyID, service.address, change: .put(service), modelVersion: StateSample.modelVersion("diabetes-ridge", 1))
    try await Check.throwsError((any Error).self, "registering a version twice") { try await store.record(duplicate) }

    try Check.equal(try await store.snapshot(), before, "snapshot after the failed record")
    try Check.equal(
      try await store.history(limit: 1).first?.actions, [StateSample.actionRecord(of: first)],
      "actions after the failed record")
  }

  static func recordRemovesResourceAndModel(_ store: any StateStoring & Locking) async throws {
    let applyID = try await store.beginApply(operation: "destroy", who: "ada", planDigest: "d", at: StateSample.time(0))
    for name in ["keep", "drop"] {
      for version in [1, 2] {
        try await store.record(
          StateSample.completion(
            applyID, ResourceAddress(.model, name), action: "register", change: .put(StateSample.model(name)),
            modelVersion: StateSample.modelVersion(name, version)))
      }
    }
    try await store.record(
      StateSample.completion(
        applyID, ResourceAddress(.model, "drop"), action: "delete", change: .remove(ResourceAddress(.model, "drop")),
        removedModel: "drop"))

    let snapshot = try await store.snapshot()
    try Check.equal(Array(snapshot.resources.keys), [ResourceAddress(.model, "keep")], "resources left")
    try Check.equal(
      snapshot.modelVersions, ["keep": [StateSample.modelVersion("keep", 1), StateSample.modelVersion("keep", 2)]],
      "model versions left")
  }

  static func removeAndImportRecords(_ store: any StateStoring & Locking) async throws {
    var service = StateSample.service("imported")
    try await store.importRecord(service)
    service.attributes["deployment.port"] = .int(9000)
    service.updatedAt = StateSample.time(9)
    try await store.importRecord(service)
    try Check.equal(try await store.snapshot().resources, [service.address: service], "resources after re-import")

    try Check.that(try await store.removeRecord(service.address), "removing the imported record")
    try Check.equal(try await store.removeRecord(service.address), false, "removing it again")
    try Check.equal(try await store.snapshot().resources, [:], "resources after removal")
    try Check.equal(try await store.history(limit: 10), [], "history after import and removal")
  }

  static func moveRenamesRecordAndModelVersions(_ store: any StateStoring & Locking) async throws {
    let applyID = try await store.beginApply(operation: "apply", who: "ada", planDigest: "m", at: StateSample.time(0))
    for version in [1, 2] {
      try await store.record(
        StateSample.completion(
          applyID, ResourceAddress(.model, "old-model"), action: "register", change: .put(StateSample.model("old-model")),
          modelVersion: StateSample.modelVersion("old-model", version)))
    }
    try await store.record(
      StateSample.completion(applyID, ResourceAddress(.service, "old-api"), change: .put(StateSample.service("old-api"))))
    let before = try await store.snapshot().serial

    var movedModel = StateSample.model("new-model")
    movedModel.updatedAt = StateSample.time(7)
    try await store.record(
      StateSample.completion(
        applyID, movedModel.address, action: "move", change: .move(from: ResourceAddress(.model, "old-model"), to: movedModel)))
    let movedService = StateSample.service("new-api")
    try await store.record(
      StateSample.completion(
        applyID, movedService.address, action: "move", change: .move(from: ResourceAddress(.service, "old-api"), to: movedService)
      ))

    let snapshot = try await store.snapshot()
    try Check.equal(
      snapshot.resources, [movedModel.address: movedModel, movedService.address: movedService], "records after the moves")
    var expected = [StateSample.modelVersion("old-model", 1), StateSample.modelVersion("old-model", 2)]
    for index in expected.indices { expected[index].name = "new-model" }
    try Check.equal(snapshot.modelVersions, ["new-model": expected], "model versions follow the renamed model")
    try Check.equal(snapshot.serial, before + 2, "serial after two moves")
  }

  static func historyIsNewestFirst(_ store: any StateStoring & Locking) async throws {
    var ids: [Int64] = []
    for (index, operation) in ["apply", "apply", "destroy"].enumerated() {
      ids.append(
        try await store.beginApply(
          operation: operation, who: "ada", planDigest: "d\(index)", at: StateSample.time(Double(index))))
    }
    // Interleaved actions of two applies keep their own order.
    let a = ResourceAddress(.service, "a")
    let b = ResourceAddress(.service, "b")
    let interleaved = [
      StateSample.completion(ids[0], a, at: 10), StateSample.completion(ids[1], b, at: 11),
      StateSample.completion(ids[0], b, action: "update", at: 12), StateSample.completion(ids[0], a, action: "delete", at: 13),
    ]
    for completion in interleaved { try await store.record(completion) }
    try await store.finishApply(id: ids[0], result: "succeeded", at: StateSample.time(20))
    try await store.finishApply(id: ids[1], result: "failed", at: StateSample.time(21))

    let history = try await store.history(limit: 10)
    try Check.equal(history.map(\.id), ids.reversed(), "history ids")
    try Check.equal(history.map(\.result), ["running", "failed", "succeeded"], "history results")
    try Check.equal(history[0].finishedAt, nil, "finish of the running apply")
    try Check.equal(history[0].operation, "destroy", "newest operation")
    try Check.equal(
      history[2].actions, [interleaved[0], interleaved[2], interleaved[3]].map(StateSample.actionRecord(of:)),
      "actions of the first apply")
    try Check.equal(history[1].actions, [StateSample.actionRecord(of: interleaved[1])], "actions of the second apply")
    try Check.equal(try await store.history(limit: 2).map(\.id), [ids[2], ids[1]], "history limited to 2")
    try Check.equal(try await store.history(limit: 0), [], "history limited to 0")
  }

  /// An apply that is cancelled (Ctrl-C) still records what already happened and frees the lock.
  static func cancelledRunStillRecords(_ store: any StateStoring & Locking) async throws {
    let applyID = try await store.beginApply(operation: "apply", who: "ada", planDigest: "d", at: StateSample.time(0))
    let lock = try await store.acquire(operation: "apply", who: "ada", timeout: 0)
    let service = StateSample.service("s")
    let cancelled = Task {
      withUnsafeCurrentTask { $0?.cancel() }
      try await store.record(StateSample.completion(applyID, service.address, change: .put(service)))
      try await store.finishApply(id: applyID, result: "failed", at: StateSample.time(9))
      try await store.release(lock)
    }
    try await cancelled.value

    try Check.equal(try await store.snapshot().resources, [service.address: service], "resources after cancellation")
    try Check.equal(try await store.history(limit: 1).first?.result, "failed", "result after cancellation")
    try Check.equal(try await store.currentLock(), nil, "lock after cancellation")
  }
}
