import BerthKit
import BerthModel
import BerthState
import BerthTesting
import BerthWatch
import Foundation
import Testing

/// The loop with fakes: report-only never changes anything, self-heal repairs drift, failures do not storm.
@Suite struct WatchLoopTests {
  let web = ResourceAddress(.service, "web")

  @Test func reportOnlyFindsPendingChangesAndDriftButChangesNothing() async throws {
    let harness = try WatchHarness()
    var schedule = WatchSchedule(interval: 30)
    let stop = WatchStop()

    let first = await harness.loop(selfHeal: false).cycle(1, schedule: &schedule, stop: stop)
    #expect(first.result == .ok)
    #expect(first.changes == 5)
    #expect(first.drifted == 0)
    #expect(first.pendingLeft == 5)
    #expect(first.applied == 0)
    #expect(harness.target.applyRequests.isEmpty)
    #expect(await harness.store.snapshot().resources.isEmpty)
    #expect(await harness.store.history(limit: 10).isEmpty)
    #expect(harness.log.events("changes_found").first?["self_heal"] == .bool(false))

    // Deployed by someone else, then killed: the watcher reports it and still changes nothing.
    _ = await harness.loop(selfHeal: true).cycle(2, schedule: &schedule, stop: stop)
    harness.target.kill("web")
    let requestsBefore = harness.target.applyRequests.count
    let serialBefore = await harness.store.snapshot().serial
    let drifted = await harness.loop(selfHeal: false).cycle(3, schedule: &schedule, stop: stop)
    #expect(drifted.result == .ok)
    #expect(drifted.drifted == 1)
    #expect(drifted.changes == 1)
    #expect(drifted.driftedLeft == 1)
    #expect(harness.target.applyRequests.count == requestsBefore)
    #expect(await harness.store.snapshot().serial == serialBefore)
    #expect(await harness.store.currentLock() == nil)
  }

  @Test func selfHealAppliesThenRepairsDrift() async throws {
    let harness = try WatchHarness()
    let loop = harness.loop(selfHeal: true)
    var schedule = WatchSchedule(interval: 30)
    let stop = WatchStop()

    let first = await loop.cycle(1, schedule: &schedule, stop: stop)
    #expect(first.result == .ok)
    #expect(first.changes == 5)
    #expect(first.applied == 5)
    #expect(first.pendingLeft == 0)
    #expect(harness.target.deployCount == 1)
    #expect(await harness.store.snapshot().resources[web] != nil)
    #expect(await harness.store.history(limit: 1).first?.operation == "apply")

    let steady = await loop.cycle(2, schedule: &schedule, stop: stop)
    #expect(steady.result == .ok)
    #expect(steady.changes == 0)
    #expect(harness.target.deployCount == 1)

    harness.target.kill("web")
    let repair = await loop.cycle(3, schedule: &schedule, stop: stop)
    #expect(repair.result == .ok)
    #expect(repair.drifted == 1)
    #expect(repair.applied == 1)
    #expect(repair.driftedLeft == 0)
    #expect(harness.target.deployCount == 2)
    #expect(harness.log.events("action_succeeded").contains { $0["address"] == "service/web" })

    let healed = await loop.cycle(4, schedule: &schedule, stop: stop)
    #expect(healed.changes == 0)
    #expect(healed.drifted == 0)
    #expect(await harness.store.currentLock() == nil)
  }

  @Test func aFailingApplyIsHeldBackUntilItsBackoffOrNewInputs() async throws {
    let harness = try WatchHarness()
    let loop = harness.loop(selfHeal: true)
    var schedule = WatchSchedule(interval: 30)
    let stop = WatchStop()
    harness.target.failDeploys(true)

    let failed = await loop.cycle(1, schedule: &schedule, stop: stop)
    #expect(failed.result == .error)
    #expect(failed.reason == "apply_failed")
    #expect(failed.failed == 1)
    #expect(failed.pendingLeft == 1)
    #expect(harness.target.deployCount == 1)
    #expect(harness.log.events("action_failed").first?["error"] == "scoring server exited with code 3")

    // One interval later: same manifests, same state → held back, nothing sent to the target.
    harness.clock.advance(30)
    let held = await loop.cycle(2, schedule: &schedule, stop: stop)
    #expect(held.result == .skipped)
    #expect(held.reason == "backoff")
    #expect(held.changes == 1)
    #expect(harness.target.deployCount == 1)
    #expect(harness.log.events("apply_held_back").first?["retry_in_s"] == .double(30))

    // Two intervals after the failure the backoff allows one retry; it fails and now waits four intervals.
    harness.clock.advance(30)
    let retried = await loop.cycle(3, schedule: &schedule, stop: stop)
    #expect(retried.reason == "apply_failed")
    #expect(harness.target.deployCount == 2)
    #expect(schedule.failedApply?.attempts == 2)
    for _ in 0..<3 {
      harness.clock.advance(30)
      #expect(await loop.cycle(4, schedule: &schedule, stop: stop).reason == "backoff")
    }
    #expect(harness.target.deployCount == 2)

    // A commit that changes the manifests lifts the hold at once.
    harness.target.failDeploys(false)
    try harness.workspace.write("src/score.py", "def init():\n    pass\n\ndef run(data):\n    return [data]\n")
    harness.clock.advance(30)
    let fixed = await loop.cycle(5, schedule: &schedule, stop: stop)
    #expect(fixed.result == .ok)
    #expect(harness.target.deployCount == 3)
    #expect(schedule.failedApply == nil)
    #expect(await harness.store.currentLock() == nil)
  }

  @Test func aStateChangeLiftsTheHoldToo() async throws {
    let harness = try WatchHarness()
    let loop = harness.loop(selfHeal: true)
    var schedule = WatchSchedule(interval: 30)
    let stop = WatchStop()
    harness.target.failDeploys(true)
    _ = await loop.cycle(1, schedule: &schedule, stop: stop)
    harness.clock.advance(30)
    #expect(await loop.cycle(2, schedule: &schedule, stop: stop).reason == "backoff")
    // Another run writes to the state: the serial moves, so these are new inputs.
    try await harness.store.record(
      ActionCompletion(applyID: 99, address: web, action: "note", outcome: .skipped, message: "elsewhere", finishedAt: Date()))
    harness.clock.advance(1)
    let retried = await loop.cycle(3, schedule: &schedule, stop: stop)
    #expect(retried.reason == "apply_failed")
    #expect(harness.target.deployCount == 2)
  }

  @Test func aHeldLockSkipsTheCycleWithoutWaiting() async throws {
    let harness = try WatchHarness()
    let loop = harness.loop(selfHeal: true)
    var schedule = WatchSchedule(interval: 30)
    let other = try await harness.store.acquire(operation: "apply", who: "ci", timeout: 0)
    let skipped = await loop.cycle(1, schedule: &schedule, stop: WatchStop())
    #expect(skipped.result == .skipped)
    #expect(skipped.reason == "lock_held")
    #expect(skipped.changes == 5)
    #expect(harness.target.applyRequests.isEmpty)
    #expect(harness.log.events("lock_held").first?["holder"] == "ci@memory")
    #expect(await harness.store.currentLock() == other)
    // A held lock is not a failure of these inputs: once free, the next cycle applies.
    await harness.store.release(other)
    #expect(await loop.cycle(2, schedule: &schedule, stop: WatchStop()).result == .ok)
  }

  @Test func invalidManifestsAreAnErrorThatBacksOffAndLogsNoMessages() async throws {
    let harness = try WatchHarness()
    try harness.workspace.write("secret.yaml", "apiVersion: berth/v1\nkind: Nonsense\nmetadata: {name: s3cr3t-value}\n")
    var schedule = WatchSchedule(interval: 30)
    let report = await harness.loop(selfHeal: true).cycle(1, schedule: &schedule, stop: WatchStop())
    #expect(report.result == .error)
    #expect(report.reason == "invalid_manifests")
    #expect(schedule.consecutiveErrors == 1)
    #expect(schedule.nextDelay(random: 0.5) == 60)
    let line = try #require(harness.log.events("invalid_manifests").first)
    #expect(line["errors"] != .int(0))
    #expect(!line.jsonLine.contains("s3cr3t"))
  }

  @Test func theLoopRunsCyclesOnScheduleAndCountsThem() async throws {
    let harness = try WatchHarness()
    let loop = harness.loop(selfHeal: true)
    let stop = WatchStop()
    harness.clock.afterSleep = { count in
      if count == 2 { harness.target.kill("web") }
      if count == 4 { stop.request() }
    }
    await loop.run(until: stop)

    #expect(harness.clock.sleeps == [30, 30, 30, 30])
    #expect(harness.target.deployCount == 2)
    let metrics = harness.metrics.snapshot
    #expect(!metrics.alive)
    #expect(metrics.cycles[.ok] == 4)
    #expect(metrics.drifted == 0)
    #expect(metrics.pending == 0)
    #expect(metrics.lastCycleEnd == harness.clock.now() - 30, "the last cycle ended before the last sleep")
    let text = metrics.render()
    #expect(text.contains("berth_reconcile_total{result=\"ok\"} 4\n"))
    #expect(text.contains("berth_failed_actions_total 0\n"))
    let finished = harness.log.events("cycle_finished")
    #expect(finished.map { $0["cycle"] } == [.int(1), .int(2), .int(3), .int(4)])
    #expect(finished.map { $0["drifted"] } == [.int(0), .int(0), .int(1), .int(0)])
    #expect(finished.first?["next_in_s"] == .double(30))
    #expect(harness.log.records.first?.event == "watch_started")
    #expect(harness.log.records.last?.event == "watch_stopped")
    #expect(await harness.store.currentLock() == nil)
  }

  @Test func failingCyclesBackOffAndCountAsErrors() async throws {
    let harness = try WatchHarness()
    try harness.workspace.write("broken.yaml", "apiVersion: berth/v1\nkind: Model\nmetadata: {name: x}\n")
    let stop = WatchStop()
    harness.clock.afterSleep = { count in if count == 6 { stop.request() } }
    await harness.loop(selfHeal: false).run(until: stop)
    #expect(harness.clock.sleeps == [60, 120, 240, 300, 300, 300])
    #expect(harness.metrics.snapshot.cycles[.error] == 6)
  }

  /// Real sleeps here (the stop must cut them short); the time limit only guards against a hang.
  @Test(.timeLimit(.minutes(1))) func aStopDuringAnApplyLetsItFinishAndReleasesTheLock() async throws {
    let harness = try WatchHarness()
    let stop = WatchStop()
    harness.target.deploySeconds = 0.2
    harness.target.onDeploy = { stop.request() }
    var loop = harness.loop(selfHeal: true, shutdownTimeout: 30)
    let sleeps = CompletedSleeps()
    loop.sleep = { try await sleeps.sleep($0) }
    await loop.run(until: stop)
    #expect(sleeps.completed.isEmpty, "the loop slept out an interval after the stop: \(sleeps.completed)")
    #expect(await harness.store.currentLock() == nil)
    #expect(await harness.store.snapshot().resources[web] != nil, "the running apply finished")
    #expect(harness.metrics.snapshot.cycles[.ok] == 1)
    #expect(harness.log.events("apply_draining").count == 1)
    #expect(harness.log.events("apply_abandoned").isEmpty)
  }

  /// An hour-long deploy: returning at all proves it was abandoned; the time limit turns a wait into a failure.
  @Test(.timeLimit(.minutes(1))) func aStopDuringAnEndlessApplyAbandonsItAfterTheTimeoutAndReleasesTheLock() async throws {
    let harness = try WatchHarness()
    let stop = WatchStop()
    harness.target.deploySeconds = 3600
    harness.target.onDeploy = { stop.request() }
    var loop = harness.loop(selfHeal: true, shutdownTimeout: 0.2)
    let sleeps = CompletedSleeps()
    loop.sleep = { try await sleeps.sleep($0) }
    await loop.run(until: stop)
    // Only the 0.2 s shutdown timeout may run out; no interval is slept out after the stop.
    #expect(sleeps.completed.allSatisfy { $0 <= 0.2 }, "slept out: \(sleeps.completed)")
    #expect(await harness.store.currentLock() == nil)
    #expect(await harness.store.snapshot().resources[web] == nil)
    #expect(await harness.store.history(limit: 1).first?.result == "failed")
    #expect(harness.log.events("apply_abandoned").count == 1)
    #expect(harness.log.events("cycle_finished").last?["reason"] == "abandoned")
  }

  @Test func aStopWhileWaitingEndsTheLoopAtOnce() async throws {
    let harness = try WatchHarness()
    let stop = WatchStop()
    var loop = harness.loop(selfHeal: false, interval: 3600)
    loop.sleep = { try await Task.sleep(for: .seconds($0)) }
    let task = Task { await loop.run(until: stop) }
    while harness.log.events("cycle_finished").isEmpty { try await Task.sleep(for: .milliseconds(10)) }
    let started = Date()
    stop.request()
    await task.value
    #expect(Date().timeIntervalSince(started) < 5)
    #expect(!harness.metrics.snapshot.alive)
  }
}

/// Real sleeps, remembering the length of those that ran to their end (a stop cancels the others).
final class CompletedSleeps: @unchecked Sendable {
  private let lock = NSLock()
  private var lengths: [TimeInterval] = []

  var completed: [TimeInterval] { lock.withLock { lengths } }

  func sleep(_ seconds: TimeInterval) async throws {
    try await Task.sleep(for: .seconds(seconds))
    lock.withLock { lengths.append(seconds) }
  }
}

/// Notifications from the loop itself: a failed apply is announced once while it backs off, a fix is announced
/// with recovery, and a receiver that never answers does not slow the loop.
@Suite struct WatchLoopNotificationTests {
  @Test func aFailingApplyIsAnnouncedOnceThenItsRecovery() async throws {
    let harness = try WatchHarness()
    let sink = NotificationSink()
    var loop = harness.loop(selfHeal: true)
    loop.notify = { sink.send($0) }
    var schedule = WatchSchedule(interval: 30)
    let stop = WatchStop()

    harness.target.failDeploys(true)
    let failed = await loop.cycle(1, schedule: &schedule, stop: stop)
    #expect(failed.result == .error)
    #expect(sink.kinds == [.applyFailed])
    #expect(sink.all.first?.details.first?.hasPrefix("service/web: ") == true)
    // Held back, then retried and failing the same way: not announced again.
    for number in 2...4 {
      harness.clock.advance(120)
      _ = await loop.cycle(number, schedule: &schedule, stop: stop)
    }
    #expect(sink.kinds == [.applyFailed])

    harness.target.failDeploys(false)
    harness.clock.advance(3600)
    let fixed = await loop.cycle(5, schedule: &schedule, stop: stop)
    #expect(fixed.result == .ok)
    #expect(sink.kinds == [.applyFailed, .applySucceeded, .recovered])
  }

  @Test func aReceiverThatNeverAnswersDoesNotSlowTheLoop() async throws {
    let harness = try WatchHarness()
    let notifier = WebhookNotifier(
      targets: [NotifyTarget(url: "http://127.0.0.1:9/hook", format: .json)], firstRetryDelay: 5, log: { _ in })
    var loop = harness.loop(selfHeal: true)
    loop.notify = { notifier.send($0) }
    var schedule = WatchSchedule(interval: 30)
    let started = ContinuousClock.now
    harness.target.failDeploys(true)
    _ = await loop.cycle(1, schedule: &schedule, stop: WatchStop())
    harness.target.failDeploys(false)
    harness.clock.advance(3600)
    let report = await loop.cycle(2, schedule: &schedule, stop: WatchStop())
    #expect(report.result == .ok)
    #expect(ContinuousClock.now - started < .seconds(3))
    await notifier.finish(timeout: 0.1)
  }
}
