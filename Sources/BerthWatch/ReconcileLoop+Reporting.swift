import BerthApply
import BerthModel
import BerthPlan
import Foundation

/// What the loop logs and counts: one JSON line per event, and the metrics of each finished cycle.
extension ReconcileLoop {
  /// Logs failed and retried actions (never progress lines, which carry service output) and records signs of life.
  func executionLogger(cycle: Int) -> @Sendable (ExecutionEvent) -> Void {
    { [log = self.log, now = self.now, metrics = self.metrics] event in
      let time = now()
      metrics.update { $0.lastProgress = time }
      let base: [WatchLogRecord.Field] = [.init("cycle", .int(cycle))]
      switch event {
      case .succeeded(let address, let kind, _, let seconds):
        log(
          WatchLogRecord(
            time: time, level: .info, event: "action_succeeded",
            fields: base + [
              .init("address", .string(address.description)), .init("action", .string(kind.rawValue)),
              .init("duration_s", .double(seconds)),
            ]))
      case .failed(let address, let kind, let error, _):
        log(
          WatchLogRecord(
            time: time, level: .error, event: "action_failed",
            fields: base + [
              .init("address", .string(address.description)), .init("action", .string(kind.rawValue)),
              .init("error", .string(error)),
            ]))
      case .retrying(let address, let attempt, let error):
        log(
          WatchLogRecord(
            time: time, level: .warn, event: "action_retrying",
            fields: base + [
              .init("address", .string(address.description)), .init("attempt", .int(attempt)), .init("error", .string(error)),
            ]))
      case .skipped(let address, let kind, let because):
        log(
          WatchLogRecord(
            time: time, level: .warn, event: "action_skipped",
            fields: base + [
              .init("address", .string(address.description)), .init("action", .string(kind.rawValue)),
              .init("because", .string(because)),
            ]))
      case .warned(let address, let diagnostic):
        log(
          WatchLogRecord(
            time: time, level: .warn, event: "action_warning",
            fields: base + [
              .init("address", .string(address.description)), .init("warning", .string(diagnostic.message)),
            ]))
      case .started, .progress, .stillRunning:
        break
      }
    }
  }

  // MARK: - Reporting

  /// Counts the cycle in the metrics and logs its summary line.
  func finish(_ report: CycleReport, nextDelay: TimeInterval?) {
    let end = now()
    metrics.update {
      $0.lastCycleEnd = end
      $0.lastDuration = report.duration
      $0.durationTotal += report.duration
      $0.cycles[report.result, default: 0] += 1
      $0.drifted = report.driftedLeft
      $0.pending = report.pendingLeft
      $0.nextCycleAt = nextDelay.map { end + $0 }
    }
    var fields: [WatchLogRecord.Field] = [.init("cycle", .int(report.number)), .init("result", .string(report.result.rawValue))]
    if let reason = report.reason { fields.append(.init("reason", .string(reason))) }
    fields += [
      .init("changes", .int(report.changes)), .init("drifted", .int(report.drifted)), .init("applied", .int(report.applied)),
      .init("failed", .int(report.failed)), .init("duration_s", .double(report.duration)),
    ]
    if let nextDelay { fields.append(.init("next_in_s", .double(nextDelay))) }
    let level: WatchLogRecord.Level =
      switch report.result {
      case .ok: .info
      case .skipped: .warn
      case .error: .error
      }
    log(WatchLogRecord(time: end, level: level, event: "cycle_finished", fields: fields))
  }

  func logChanges(_ plan: Plan, drift: DriftReport, cycle: Int) {
    let addresses = plan.actions.prefix(20).map { "\($0.kind.symbol)\($0.address)" }
    emit(
      drift.drifted.isEmpty ? .info : .warn, "changes_found",
      [
        .init("cycle", .int(cycle)), .init("changes", .int(plan.actions.count)), .init("drifted", .int(drift.drifted.count)),
        .init("actions", .string(addresses.joined(separator: " ") + (plan.actions.count > 20 ? " …" : ""))),
        .init("self_heal", .bool(configuration.selfHeal)),
      ])
  }

  /// Error count and where the first ones are; messages stay out of logs, as they may quote manifest values.
  func logProblems(_ event: String, _ diagnostics: [Diagnostic], cycle: Int) {
    let errors = diagnostics.filter { $0.severity == .error }
    let places = errors.prefix(5).map { $0.location.map(\.description) ?? "(no location)" }
    emit(
      .error, event,
      [
        .init("cycle", .int(cycle)), .init("errors", .int(errors.count)), .init("at", .string(places.joined(separator: " "))),
        .init("hint", .string("run `berth validate` (or `berth plan`) for the messages")),
      ])
  }

  func emit(_ level: WatchLogRecord.Level, _ event: String, _ fields: [WatchLogRecord.Field] = []) {
    log(WatchLogRecord(time: now(), level: level, event: event, fields: fields))
  }

  func failed(_ report: CycleReport, _ reason: String) -> CycleReport {
    var report = report
    report.result = .error
    report.reason = reason
    return report
  }

  func skipped(_ report: CycleReport, _ reason: String) -> CycleReport {
    var report = report
    report.result = .skipped
    report.reason = reason
    return report
  }
}
