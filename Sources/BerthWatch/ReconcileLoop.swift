import BerthApply
import BerthKit
import BerthModel
import BerthPlan
import BerthState
import Foundation

/// What `berth watch` is asked to do.
public struct WatchConfiguration: Sendable {
  /// The manifests folder.
  public var path: String
  /// Overlay folders patching `path` (`--overlay`).
  public var overlays: [String]
  public var interval: TimeInterval
  /// Apply the plan when there are changes; otherwise only report.
  public var selfHeal: Bool
  public var parallelism: Int
  /// On a stop request, how long a running apply may go on before it is cancelled.
  public var shutdownTimeout: TimeInterval
  /// Where manifests come from when not `path` (`--git`): each cycle reconciles the folder the source names.
  public var source: (any ManifestSourcing)?
  /// Where the Workspace's relative paths start when not at the manifests (a git checkout changes with each commit).
  public var workspaceRoot: String?

  public init(
    path: String, overlays: [String] = [], interval: TimeInterval, selfHeal: Bool, parallelism: Int = 10,
    shutdownTimeout: TimeInterval = 25
  ) {
    self.path = path
    self.overlays = overlays
    self.interval = interval
    self.selfHeal = selfHeal
    self.parallelism = parallelism
    self.shutdownTimeout = shutdownTimeout
  }
}

/// How one cycle went.
public struct CycleReport: Sendable, Equatable {
  public var number: Int
  public var result: CycleResult = .ok
  /// Why it was skipped or failed: `invalid_manifests`, `plan_errors`, `prepare_failed` (reading files, state or
  /// targets threw), `apply_failed`, `abandoned` (an apply cancelled on shutdown), `lock_held`, `backoff`,
  /// `state_changed`, `shutdown`.
  public var reason: String?
  /// Actions in the plan.
  public var changes = 0
  /// Resources found changed outside Berth.
  public var drifted = 0
  /// Actions applied successfully.
  public var applied = 0
  /// Actions that failed or were skipped in the apply.
  public var failed = 0
  /// Drifted resources left at the end (not repaired).
  public var driftedLeft = 0
  /// Actions left at the end (not applied).
  public var pendingLeft = 0
  public var duration: TimeInterval = 0

  public init(number: Int) {
    self.number = number
  }
}

/// The reconcile loop of `berth watch`: observe and plan every interval, report, and with `selfHeal` apply.
///
/// Time, sleeping and randomness are injected so that tests run many cycles in milliseconds; the
/// rules for when to run and when to apply are in `WatchSchedule`.
public struct ReconcileLoop: Sendable {
  public var configuration: WatchConfiguration
  public var reconciler: Reconciler
  public var now: @Sendable () -> Date
  /// Sleeps for seconds; throws when cancelled.
  public var sleep: @Sendable (TimeInterval) async throws -> Void
  /// Uniform in [0, 1), for jitter.
  public var random: @Sendable () -> Double
  public var log: @Sendable (WatchLogRecord) -> Void
  public var metrics: WatchMetricsStore
  /// Fired by the git webhook: the next cycle starts now.
  public var trigger: WatchTrigger?
  /// What the status page shows, updated at the end of each cycle.
  public var status: ControllerStatusStore?
  /// Receives the notifications each cycle deserves (`NotificationPolicy`).
  public var notify: (@Sendable (WatchNotification) -> Void)?
  let notificationPolicy = NotificationPolicyBox()

  public init(
    configuration: WatchConfiguration, reconciler: Reconciler, metrics: WatchMetricsStore,
    now: @escaping @Sendable () -> Date = Date.init,
    sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { try await Task.sleep(for: .seconds($0)) },
    random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
    log: @escaping @Sendable (WatchLogRecord) -> Void
  ) {
    self.configuration = configuration
    self.reconciler = reconciler
    self.metrics = metrics
    self.now = now
    self.sleep = sleep
    self.random = random
    self.log = log
  }

  /// Runs cycles until `stop` is requested, then returns with the lock released.
  ///
  /// A stop during observing, planning or waiting ends the loop at once; a stop during an apply
  /// lets it finish for up to `shutdownTimeout`, then cancels it (completed actions stay recorded).
  public func run(until stop: WatchStop) async {
    metrics.update {
      $0.startedAt = now()
      $0.alive = true
    }
    emit(
      .info, "watch_started",
      [
        .init("version", .string(metrics.snapshot.version)), .init("dir", .string(configuration.path)),
        .init("interval_s", .double(configuration.interval)), .init("self_heal", .bool(configuration.selfHeal)),
      ])
    await withTaskGroup(of: Void.self) { group in
      group.addTask { await self.loop(stop) }
      group.addTask { await self.abandonAfterStop(stop) }
      await group.next()
      group.cancelAll()
    }
    metrics.update {
      $0.alive = false
      $0.nextCycleAt = nil
    }
    emit(.info, "watch_stopped")
  }

  private func loop(_ stop: WatchStop) async {
    var schedule = WatchSchedule(interval: configuration.interval)
    var number = 0
    while !stop.isRequested, !Task.isCancelled {
      number += 1
      trigger?.consume()
      let report = await cycle(number, schedule: &schedule, stop: stop)
      let delay = schedule.nextDelay(random: random())
      let ending = stop.isRequested || Task.isCancelled
      finish(report, nextDelay: ending ? nil : delay)
      if ending { break }
      await pause(delay, stop: stop)
    }
  }

  /// Waits for a stop; if an apply is running, gives it `shutdownTimeout`, then returns, which cancels the loop.
  private func abandonAfterStop(_ stop: WatchStop) async {
    await stop.wait()
    guard !Task.isCancelled else { return }
    guard stop.isApplying else { return }
    emit(.warn, "apply_draining", [.init("timeout_s", .double(configuration.shutdownTimeout))])
    try? await sleep(configuration.shutdownTimeout)
    guard !Task.isCancelled else { return }
    emit(.warn, "apply_abandoned", [.init("timeout_s", .double(configuration.shutdownTimeout))])
  }

  private func pause(_ seconds: TimeInterval, stop: WatchStop) async {
    await withTaskGroup(of: Void.self) { group in
      group.addTask { try? await self.sleep(seconds) }
      group.addTask { await stop.wait() }
      if let trigger { group.addTask { await trigger.wait() } }
      await group.next()
      group.cancelAll()
    }
  }

  // MARK: - One cycle

  /// Observes and plans; reports; with `selfHeal`, applies under the lock unless the schedule holds the inputs back.
  public func cycle(_ number: Int, schedule: inout WatchSchedule, stop: WatchStop) async -> CycleReport {
    let started = now()
    var facts = CycleFacts()
    var report = await observeAndPlan(CycleReport(number: number), schedule: &schedule, stop: stop, facts: &facts)
    report.duration = max(0, now().timeIntervalSince(started))
    publish(report, facts)
    return report
  }

  private func observeAndPlan(
    _ report: CycleReport, schedule: inout WatchSchedule, stop: WatchStop, facts: inout CycleFacts
  ) async -> CycleReport {
    var report = report
    let number = report.number
    var path = configuration.path
    var overlays = configuration.overlays
    if let source = configuration.source {
      let sync = await source.sync()
      facts.sync = sync
      logSync(sync, cycle: number)
      guard let synced = sync.path else {
        schedule.cycleErrored()
        return failed(report, sync.refused != nil ? "commit_refused" : "fetch_failed")
      }
      path = synced
      overlays = sync.overlays
    }
    do {
      let (context, diagnostics) = try await reconciler.prepare(
        path: path, overlays: overlays, observe: true, workspaceRoot: configuration.workspaceRoot)
      guard let context else {
        logProblems("invalid_manifests", diagnostics, cycle: number)
        schedule.cycleErrored()
        return failed(report, "invalid_manifests")
      }
      for diagnostic in context.input.observationDiagnostics where diagnostic.severity != .note {
        emit(.warn, "observe_failed", [.init("cycle", .int(number)), .init("message", .string(diagnostic.message))])
      }
      let plan = reconciler.plan(context)
      if plan.diagnostics.hasErrors {
        logProblems("plan_errors", plan.diagnostics, cycle: number)
        schedule.cycleErrored()
        return failed(report, "plan_errors")
      }
      schedule.cyclePlanned()
      let drift = DriftReport.make(context.input)
      facts.context = context
      facts.plan = plan
      facts.drift = drift
      report.changes = plan.actions.count
      report.drifted = drift.drifted.count
      report.pendingLeft = plan.actions.count
      report.driftedLeft = drift.drifted.count
      if plan.hasChanges { logChanges(plan, drift: drift, cycle: number) }
      guard configuration.selfHeal, plan.hasChanges else { return report }
      return await heal(plan, context: context, drift: drift, report: report, schedule: &schedule, stop: stop, facts: &facts)
    } catch {
      if Task.isCancelled || error is CancellationError { return skipped(report, "shutdown") }
      emit(.error, "cycle_failed", [.init("cycle", .int(number)), .init("error", .string(String(describing: error)))])
      schedule.cycleErrored()
      return failed(report, "prepare_failed")
    }
  }

  private func heal(
    _ plan: Plan, context: Reconciler.Context, drift: DriftReport, report: CycleReport, schedule: inout WatchSchedule,
    stop: WatchStop, facts: inout CycleFacts
  ) async -> CycleReport {
    var report = report
    let number = report.number
    let key = ApplyKey(plan.fingerprint)
    if case .holdBack(let until, let attempts) = schedule.decide(key, now: now()) {
      emit(
        .warn, "apply_held_back",
        [
          .init("cycle", .int(number)), .init("inputs", .string(key.description)), .init("failed_attempts", .int(attempts)),
          .init("retry_in_s", .double(max(0, until.timeIntervalSince(now())))),
        ])
      return skipped(report, "backoff")
    }
    guard !Task.isCancelled, stop.beginApplying() else { return skipped(report, "shutdown") }
    defer { stop.endApplying() }
    emit(.info, "apply_started", [.init("cycle", .int(number)), .init("changes", .int(plan.actions.count))])
    do {
      let source = facts.sourceCommit
      let (summary, stateLeft) = try await reconciler.withLock(context.store, operation: "watch", timeout: 0) {
        let summary = try await reconciler.apply(
          plan, context: context, parallelism: configuration.parallelism, source: source,
          events: executionLogger(cycle: number))
        return (summary, try await context.store.snapshot())
      }
      let serialLeft = stateLeft.serial
      facts.summary = summary
      facts.stateAfter = stateLeft
      let failures = summary.failed.count + summary.skipped.count
      report.applied = summary.succeeded.count
      report.failed = failures
      report.pendingLeft = plan.actions.count - summary.succeeded.count
      let repaired = Set(summary.succeeded)
      report.driftedLeft = drift.drifted.filter { !repaired.contains($0.address) }.count
      metrics.update { $0.failedActionsTotal += summary.failed.count }
      emit(
        summary.isSuccess ? .info : .error, "apply_finished",
        [
          .init("cycle", .int(number)), .init("succeeded", .int(summary.succeeded.count)),
          .init("failed", .int(summary.failed.count)), .init("skipped", .int(summary.skipped.count)),
        ])
      // Cancelled by a stop after the shutdown timeout: not a verdict on these inputs.
      if Task.isCancelled { return failed(report, "abandoned") }
      guard summary.isSuccess else {
        schedule.applyFailed(attempted: key, left: ApplyKey(inputsDigest: key.inputsDigest, stateSerial: serialLeft), now: now())
        if let held = schedule.failedApply {
          emit(
            .warn, "apply_backoff",
            [
              .init("cycle", .int(number)), .init("inputs", .string(held.key.description)),
              .init("failed_attempts", .int(held.attempts)),
              .init("retry_in_s", .double(held.retryAt.timeIntervalSince(held.failedAt))),
            ])
        }
        return failed(report, "apply_failed")
      }
      schedule.applySucceeded()
      return report
    } catch StateError.locked(let holder) {
      emit(
        .warn, "lock_held",
        [
          .init("cycle", .int(number)), .init("holder", .string("\(holder.who)@\(holder.host)")),
          .init("operation", .string(holder.operation)), .init("pid", .int(Int(holder.pid))),
        ])
      return skipped(report, "lock_held")
    } catch ReconcileError.stalePlan {
      emit(.info, "state_changed", [.init("cycle", .int(number))])
      return skipped(report, "state_changed")
    } catch {
      if Task.isCancelled || error is CancellationError { return skipped(report, "shutdown") }
      emit(.error, "apply_error", [.init("cycle", .int(number)), .init("error", .string(String(describing: error)))])
      facts.applyError = String(describing: error)
      schedule.applyFailed(attempted: key, left: key, now: now())
      return failed(report, "apply_failed")
    }
  }
}
