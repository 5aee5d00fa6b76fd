import BerthGit
import Foundation

/// Decides which notifications a cycle deserves, so that a state is announced once, not every interval: the same
/// drift, the same failed apply and the same refused commit are each sent once, and `recovered` follows trouble once.
public struct NotificationPolicy: Sendable, Equatable {
  /// What one cycle found and did, as far as notifications care.
  public struct Outcome: Sendable, Equatable {
    public var report: CycleReport
    public var selfHeal: Bool
    public var commit: GitCommit?
    /// Set when the fetched head is refused.
    public var refused: ControllerStatus.Refusal?
    /// `address: message` of each resource changed outside Berth.
    public var drift: [String] = []
    /// Whether an apply ran, and the `address: error` of each failed action.
    public var applied = false
    public var failures: [String] = []

    public init(report: CycleReport, selfHeal: Bool, commit: GitCommit? = nil, refused: ControllerStatus.Refusal? = nil) {
      self.report = report
      self.selfHeal = selfHeal
      self.commit = commit
      self.refused = refused
    }
  }

  private var sentDrift: [String] = []
  private var sentFailure: [String] = []
  private var sentRefusal: String?
  private var troubled = false

  public init() {}

  public mutating func notifications(for outcome: Outcome, at time: Date) -> [WatchNotification] {
    var sent: [WatchNotification] = []
    let report = outcome.report
    if let refusal = outcome.refused, refusal.commit.sha != sentRefusal {
      sentRefusal = refusal.commit.sha
      sent.append(
        .init(
          kind: .commitRefused,
          summary: "commit \(refusal.commit.shortSHA) refused: \(refusal.reason); still running "
            + (outcome.commit.map { "commit \($0.shortSHA)" } ?? "no commit"),
          details: refusal.locations, commit: refusal.commit, time: time))
    }
    let drift = outcome.drift.sorted()
    if !drift.isEmpty, drift != sentDrift {
      sent.append(
        .init(
          kind: .driftFound,
          summary: "\(drift.count) resource(s) changed outside Berth"
            + (outcome.selfHeal ? "; repairing" : ""), details: drift, commit: outcome.commit, time: time))
    }
    sentDrift = drift
    if outcome.applied {
      if outcome.failures.isEmpty {
        sentFailure = []
        sent.append(
          .init(
            kind: .applySucceeded,
            summary: "applied \(report.applied) change(s)"
              + (outcome.commit.map { " from commit \($0.shortSHA)" } ?? ""), commit: outcome.commit, time: time))
      } else {
        let failures = outcome.failures.sorted()
        let key = [outcome.commit?.sha ?? ""] + failures
        if key != sentFailure {
          sentFailure = key
          sent.append(
            .init(
              kind: .applyFailed, summary: "apply failed: \(failures.count) action(s) failed, \(report.applied) succeeded",
              details: failures, commit: outcome.commit, time: time))
        }
      }
    }
    let clean =
      report.result == .ok && report.driftedLeft == 0 && outcome.refused == nil
      && (!outcome.selfHeal || report.pendingLeft == 0)
    let trouble =
      report.result == .error || outcome.refused != nil || report.driftedLeft > 0 || !outcome.failures.isEmpty
    if clean, troubled {
      troubled = false
      sentFailure = []
      sent.append(
        .init(
          kind: .recovered,
          summary: "everything is in sync again"
            + (outcome.commit.map { " at commit \($0.shortSHA)" } ?? ""), commit: outcome.commit, time: time))
    } else if trouble {
      troubled = true
    }
    return sent
  }
}
