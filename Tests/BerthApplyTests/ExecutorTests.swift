import BerthApply
import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

/// Ordering, the parallelism bound, failure isolation and per-action recording.
@Suite struct ExecutorTests {
  /// `count` independent models, and one service per model depending on it.
  func fanOut(_ count: Int) -> Plan {
    var actions: [PlannedAction] = []
    for i in 0..<count {
      let model = ResourceAddress(.model, "m\(i)")
      actions.append(PlannedAction(kind: .register, address: model, reason: "new", attributes: ["x": .int(i)]))
      actions.append(
        PlannedAction(
          kind: .deploy, address: ResourceAddress(.service, "s\(i)"), reason: "new", dependsOn: [model],
          attributes: ["x": .int(i)], dependencies: [model]))
    }
    return Plan(actions: actions, unchanged: [], diagnostics: [], fingerprint: PlanFingerprint(stateSerial: 0, inputsDigest: ""))
  }

  final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [ExecutionEvent] = []
    func append(_ event: ExecutionEvent) { lock.withLock { events.append(event) } }
    var all: [ExecutionEvent] { lock.withLock { events } }
  }

  @Test func dependenciesFinishBeforeDependentsStart() async {
    let log = EventLog()
    let store = InMemoryStateStore()
    let executor = Executor(store: store, performer: ScriptedPerformer(delay: 0.01), events: log.append)
    let summary = await executor.run(fanOut(5), applyID: 1)
    #expect(summary.isSuccess)
    let events = log.all
    for i in 0..<5 {
      let modelDone = events.firstIndex {
        if case .succeeded(ResourceAddress(.model, "m\(i)"), _, _, _) = $0 { return true } else { return false }
      }!
      let serviceStart = events.firstIndex { $0 == .started(ResourceAddress(.service, "s\(i)"), .deploy) }!
      #expect(modelDone < serviceStart)
    }
  }

  @Test(arguments: [1, 3, 10])
  func parallelismIsBounded(_ limit: Int) async {
    let performer = ScriptedPerformer(delay: 0.02)
    let executor = Executor(store: InMemoryStateStore(), performer: performer, parallelism: limit)
    _ = await executor.run(fanOut(20), applyID: 1)
    let peak = await performer.peakConcurrency
    #expect(peak <= limit)
    #expect(peak == min(limit, 20))
  }

  @Test func failureSkipsOnlyItsDependents() async {
    let store = InMemoryStateStore()
    let performer = ScriptedPerformer(scripts: [ResourceAddress(.model, "m1"): .fail(TargetError("disk on fire"))])
    let summary = await Executor(store: store, performer: performer).run(fanOut(3), applyID: 1)
    #expect(summary.failed == [ResourceAddress(.model, "m1"): "disk on fire"])
    #expect(summary.skipped == [ResourceAddress(.service, "s1"): "model/m1 failed"])
    #expect(
      Set(summary.succeeded) == [
        ResourceAddress(.model, "m0"), ResourceAddress(.service, "s0"), ResourceAddress(.model, "m2"),
        ResourceAddress(.service, "s2"),
      ])
    let state = await store.snapshot()
    #expect(state.resources.count == 4)
    #expect(state.resources[ResourceAddress(.model, "m1")] == nil)
  }

  @Test func everyCompletionIsRecordedWithItsOutcome() async {
    let store = InMemoryStateStore()
    let applyID = await store.beginApply(operation: "apply", who: "test", planDigest: "d", at: Date())
    let performer = ScriptedPerformer(scripts: [ResourceAddress(.model, "m0"): .fail(TargetError("no"))])
    _ = await Executor(store: store, performer: performer).run(fanOut(2), applyID: applyID)
    let history = await store.history(limit: 1)
    let outcomes = Dictionary(uniqueKeysWithValues: history[0].actions.map { ($0.address.description, $0.outcome) })
    #expect(outcomes == ["model/m0": .failed, "service/s0": .skipped, "model/m1": .succeeded, "service/s1": .succeeded])
  }

  final class PauseLog: @unchecked Sendable {
    private let lock = NSLock()
    private var pauses: [Duration] = []
    func append(_ pause: Duration) { lock.withLock { pauses.append(pause) } }
    var all: [Duration] { lock.withLock { pauses } }
  }

  @Test func retryableErrorsAreRetriedWithGrowingPauses() async {
    let log = EventLog()
    let pauses = PauseLog()
    let performer = ScriptedPerformer(scripts: [ResourceAddress(.model, "m0"): .flaky(failures: 2)])
    let executor = Executor(
      store: InMemoryStateStore(), performer: performer, pause: { pauses.append($0) }, events: log.append)
    let summary = await executor.run(fanOut(1), applyID: 1)
    #expect(summary.isSuccess)
    #expect(log.all.filter { if case .retrying = $0 { return true } else { return false } }.count == 2)
    #expect(pauses.all == [.seconds(1), .seconds(2)])
  }

  @Test func retriesStopAtMaxAttempts() async {
    let performer = ScriptedPerformer(scripts: [ResourceAddress(.model, "m0"): .flaky(failures: 5)])
    let executor = Executor(store: InMemoryStateStore(), performer: performer, maxAttempts: 3, pause: { _ in })
    let summary = await executor.run(fanOut(1), applyID: 1)
    #expect(Array(summary.failed.keys) == [ResourceAddress(.model, "m0")])
    #expect(await performer.calls.count == 3)
  }

  @Test func aStateWriteFailureStopsTheApply() async {
    let store = InMemoryStateStore()
    await store.failRecords(after: 1)
    let summary = await Executor(store: store, performer: ScriptedPerformer(), parallelism: 1).run(fanOut(3), applyID: 1)
    #expect(summary.succeeded.count == 1)
    #expect(summary.failed.count == 1)
    #expect(summary.skipped.count == 4)
  }

  @Test func longActionsReportThatTheyAreStillRunning() async {
    let log = EventLog()
    let executor = Executor(
      store: InMemoryStateStore(), performer: ScriptedPerformer(delay: 1.0), heartbeat: 0.1, events: log.append)
    _ = await executor.run(fanOut(1), applyID: 1)
    #expect(log.all.contains { if case .stillRunning(_, _, _) = $0 { return true } else { return false } })
  }
}

/// Counted progress lines become bars on a terminal; other lines do not.
@Suite struct ProgressBarTests {
  @Test func countedLinesBecomeBars() {
    #expect(ProgressBar.fraction(of: "12/40 mini-batches, 30 succeeded").map { [$0.done, $0.total] } == [12, 40])
    #expect(
      ProgressBar.render("12/40 mini-batches, 30 succeeded, 0 failed", width: 10)
        == "[###.......]  30% 12/40 mini-batches, 30 succeeded, 0 failed")
    #expect(ProgressBar.render("40/40 mini-batches", width: 4) == "[####] 100% 40/40 mini-batches")
    #expect(ProgressBar.render("0/3 mini-batches", width: 3) == "[...]   0% 0/3 mini-batches")
  }

  @Test func otherLinesStayPlain() {
    #expect(ProgressBar.render("scoring 12 files in 3 mini-batches") == nil)
    #expect(ProgressBar.render("5/0 nothing") == nil)
    #expect(ProgressBar.render("7/5 more done than there are") == nil)
    #expect(ProgressBar.render("1/2") == nil, "no text after the count")
    #expect(ProgressBar.render("a/b c") == nil)
  }
}
