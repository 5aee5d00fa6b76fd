import BerthApply
import BerthGit
import BerthGraph
import BerthKit
import BerthModel
import BerthPlan
import BerthState
import Foundation

/// What a cycle saw and did, kept for the status page and the notifications.
struct CycleFacts {
  var sync: SourceSync?
  var context: Reconciler.Context?
  var plan: Plan?
  var drift: DriftReport?
  var summary: ExecutionSummary?
  /// The state the apply left behind.
  var stateAfter: StateSnapshot?
  /// An apply that could not run at all.
  var applyError: String?

  var sourceCommit: SourceCommit? {
    sync?.commit.map { SourceCommit(sha: $0.sha, author: $0.author, subject: $0.subject) }
  }
}

/// The notification policy shared by the copies of a loop value.
final class NotificationPolicyBox: @unchecked Sendable {
  private let lock = NSLock()
  private var policy = NotificationPolicy()

  func notifications(for outcome: NotificationPolicy.Outcome, at time: Date) -> [WatchNotification] {
    lock.withLock { policy.notifications(for: outcome, at: time) }
  }
}

/// The controller's side of a cycle: the git source's log lines, the status page's data, the notifications.
extension ReconcileLoop {
  func logSync(_ sync: SourceSync, cycle: Int) {
    if let error = sync.fetchError {
      emit(.warn, "fetch_failed", [.init("cycle", .int(cycle)), .init("error", .string(error))])
    }
    guard sync.isNew, let head = sync.head else { return }
    if let refusal = sync.refused {
      emit(
        .error, "commit_refused",
        [
          .init("cycle", .int(cycle)), .init("commit", .string(head.sha)), .init("errors", .int(refusal.errors)),
          .init("reason", .string(refusal.reason)),
          .init("at", .string(refusal.locations.prefix(5).joined(separator: " "))),
          .init("running", .string(sync.commit?.sha ?? "")),
          .init("hint", .string("run `berth validate` on that commit for the messages")),
        ])
    } else {
      emit(
        .info, "commit_selected",
        [
          .init("cycle", .int(cycle)), .init("commit", .string(head.sha)), .init("author", .string(head.author)),
          .init("subject", .string(head.subject)),
        ])
    }
  }

  /// Updates the status page's data and sends what the cycle deserves.
  func publish(_ report: CycleReport, _ facts: CycleFacts) {
    let time = now()
    if let sync = facts.sync {
      metrics.update { metrics in
        var git = metrics.git ?? WatchMetrics.GitMetrics()
        git.commit = sync.commit?.sha
        git.headRefused = sync.refused != nil
        git.commitsBehind = sync.behind
        if sync.fetchError == nil { git.lastFetch = time } else { git.fetchFailuresTotal += 1 }
        metrics.git = git
      }
    }
    if let status {
      let graph = graphIfChanged(facts, drawnFor: status.snapshot.graphFor)
      status.update { status in
        status.selfHeal = configuration.selfHeal
        status.cycle = report.number
        status.result = report.result
        status.reason = report.reason
        status.lastCycleEnd = time
        if let sync = facts.sync, status.source != nil {
          if let head = sync.head { status.source?.head = head }
          status.source?.current = sync.commit
          status.source?.refused = sync.refused
          status.source?.fetchError = sync.fetchError
          status.source?.behind = sync.behind
          if sync.fetchError == nil { status.source?.fetchedAt = time }
        }
        if facts.context != nil { status.resources = Self.resources(facts) }
        if let graph {
          status.graphFor = graph.digest
          status.graphDOT = graph.dot
          status.graphSVG = graph.svg
        }
        if let summary = facts.summary, let plan = facts.plan {
          status.recordApply(
            .init(
              cycle: report.number, at: time, commit: facts.sync?.commit?.sha, succeeded: summary.succeeded.count,
              failed: summary.failed.map { "\($0.key): \($0.value)" }.sorted(),
              actions: plan.actions.prefix(20).map { "\($0.kind.symbol)\($0.address)" }.joined(separator: " ")))
        } else if let error = facts.applyError {
          status.recordApply(
            .init(cycle: report.number, at: time, commit: facts.sync?.commit?.sha, succeeded: 0, failed: [error], actions: ""))
        }
      }
    }
    guard let notify else { return }
    var outcome = NotificationPolicy.Outcome(
      report: report, selfHeal: configuration.selfHeal, commit: facts.sync?.commit, refused: facts.sync?.refused)
    outcome.drift = (facts.drift?.drifted ?? []).map { "\($0.address): \($0.message)" }
    outcome.applied = facts.summary != nil || facts.applyError != nil
    outcome.failures =
      (facts.summary?.failed ?? [:]).map { "\($0.key): \($0.value)" } + (facts.applyError.map { [$0] } ?? [])
    for notification in notificationPolicy.notifications(for: outcome, at: time) { notify(notification) }
  }

  /// The graph in DOT and, when Graphviz is installed, SVG; nil when the manifests did not change since it was drawn.
  func graphIfChanged(_ facts: CycleFacts, drawnFor: String?) -> (digest: String, dot: String, svg: String?)? {
    guard let input = facts.context?.input, input.manifestsDigest != drawnFor else { return nil }
    let dot = DotRenderer.render(input.graph)
    let svg = (try? GraphvizSVG.render(dot)).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) }
    return (input.manifestsDigest, dot, svg)
  }

  /// Every desired or recorded resource with its health, sync status and why.
  static func resources(_ facts: CycleFacts) -> [ControllerStatus.Resource] {
    guard let input = facts.context?.input else { return [] }
    let state = facts.stateAfter ?? input.state
    let actions = Dictionary((facts.plan?.actions ?? []).map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
    let drifted = Dictionary((facts.drift?.drifted ?? []).map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
    let succeeded = Set(facts.summary?.succeeded ?? [])
    var addresses = input.graph.order
    let desired = Set(addresses)
    addresses += input.state.resources.keys.filter { !desired.contains($0) }.sorted()
    func text(_ value: FieldValue?) -> String? { if case .string(let s)? = value { s } else { nil } }
    return addresses.compactMap { address in
      let action = actions[address]
      let record = state.resources[address]
      if succeeded.contains(address), action?.kind == .delete { return nil }
      let observation = input.observations[address]
      var health = observation?.health.rawValue ?? (address.kind == .service ? "Unknown" : "-")
      var sync = "Synced"
      var reason = ""
      if let error = facts.summary?.failed[address] {
        sync = "Failed"
        reason = error
      } else if let because = facts.summary?.skipped[address] {
        sync = "OutOfSync"
        reason = "skipped: \(because)"
      } else if succeeded.contains(address), let action {
        if address.kind == .service { health = "Healthy" }
        reason = "applied (\(action.kind.rawValue)): \(action.reason)"
      } else if let drift = drifted[address] {
        sync = "Drifted"
        let fields = drift.changes.map(\.path)
        reason = drift.message + (fields.isEmpty ? "" : " (changed: \(fields.joined(separator: ", ")))")
      } else if let action {
        sync = "OutOfSync"
        reason = "\(action.kind.symbol) \(action.kind.rawValue): \(action.reason)"
      }
      let outputs = record?.outputs ?? [:]
      let commit = SourceCommit(outputs: outputs).map { "\($0.sha.prefix(12)) \($0.subject)" }
      return .init(
        address: address.description, kind: address.kind.rawValue, health: health, sync: sync, reason: reason,
        revision: observation?.revision ?? text(outputs["revision"]), scoringURI: text(outputs["scoring_uri"]),
        commit: commit)
    }
  }
}
