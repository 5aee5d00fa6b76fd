import Foundation

/// How a reconcile cycle ended, the `result` label of `berth_reconcile_total`.
public enum CycleResult: String, Sendable, CaseIterable, Comparable {
  /// Planned; in report mode that is all, with `--self-heal` any changes were applied.
  case ok
  /// Could not plan, or the apply failed.
  case error
  /// Planned, but the apply was left for later: the lock was held, the same inputs are backing off, or shutting down.
  case skipped

  public static func < (lhs: CycleResult, rhs: CycleResult) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What the watch loop has done so far: rendered at `/metrics` and judged at `/healthz`.
public struct WatchMetrics: Sendable, Equatable {
  public var version: String
  public var interval: TimeInterval
  /// When the loop started.
  public var startedAt: Date
  /// False once the loop has returned.
  public var alive = true
  /// When the last cycle ended.
  public var lastCycleEnd: Date?
  /// When a running apply last reported something (a long action emits a heartbeat every 10 s).
  public var lastProgress: Date?
  /// When the loop means to start the next cycle (while it waits).
  public var nextCycleAt: Date?
  public var lastDuration: TimeInterval = 0
  public var durationTotal: TimeInterval = 0
  public var cycles: [CycleResult: Int] = [:]
  /// Drifted resources left at the end of the last cycle.
  public var drifted = 0
  /// Actions an apply would still take at the end of the last cycle.
  public var pending = 0
  public var failedActionsTotal = 0
  /// With `--git`: how fetching and judging commits goes; nil without a git source (and no `berth_git_*` families).
  public var git: GitMetrics?

  /// The `berth_git_*` families.
  public struct GitMetrics: Sendable, Equatable {
    /// The commit being reconciled.
    public var commit: String?
    /// When a fetch last succeeded.
    public var lastFetch: Date?
    public var fetchFailuresTotal = 0
    /// The newest fetched commit is refused (its manifests do not validate).
    public var headRefused = false
    /// Commits the running commit is behind the newest fetched one.
    public var commitsBehind = 0

    public init() {}
  }

  public init(version: String, interval: TimeInterval, startedAt: Date) {
    self.version = version
    self.interval = interval
    self.startedAt = startedAt
  }

  /// Alive and on schedule: the last sign of life (a cycle ending, a running apply's progress, or the start)
  /// is at most 3 × interval old, or, while the loop waits out a backoff, its next cycle is at most 2 × interval late.
  public func isHealthy(at now: Date) -> Bool {
    guard alive else { return false }
    let lastSign = max(lastCycleEnd ?? startedAt, lastProgress ?? startedAt)
    var deadline = lastSign + 3 * interval
    if let nextCycleAt { deadline = max(deadline, nextCycleAt + 2 * interval) }
    return now <= deadline
  }

  /// The Prometheus text exposition format (version 0.0.4), families in a fixed order.
  public func render() -> String {
    var text = ""
    func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: String)]) {
      text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
      for sample in samples { text += "\(name)\(sample.labels) \(sample.value)\n" }
    }
    family(
      "berth_build_info", "gauge", "Berth version; always 1.",
      [("{version=\"\(Self.escapeLabel(version))\"}", "1")])
    family(
      "berth_last_reconcile_timestamp_seconds", "gauge", "Unix time the last reconcile cycle ended (0 before the first).",
      [("", Self.number(lastCycleEnd?.timeIntervalSince1970 ?? 0))])
    family(
      "berth_reconcile_duration_seconds", "gauge", "Duration of the last reconcile cycle.", [("", Self.number(lastDuration))])
    family(
      "berth_reconcile_duration_seconds_total", "counter", "Time spent in reconcile cycles since the start.",
      [("", Self.number(durationTotal))])
    family(
      "berth_reconcile_total", "counter", "Reconcile cycles by result.",
      CycleResult.allCases.sorted().map { ("{result=\"\($0.rawValue)\"}", String(cycles[$0] ?? 0)) })
    family(
      "berth_drifted_resources", "gauge", "Resources changed outside Berth and not repaired, as of the last cycle.",
      [("", String(drifted))])
    family(
      "berth_pending_changes", "gauge", "Actions an apply would still take, as of the last cycle.", [("", String(pending))])
    family(
      "berth_failed_actions_total", "counter", "Actions that failed in applies since the start.",
      [("", String(failedActionsTotal))])
    if let git {
      family(
        "berth_git_commit_info", "gauge", "The commit being reconciled; always 1.",
        git.commit.map { [("{commit=\"\(Self.escapeLabel($0))\"}", "1")] } ?? [])
      family(
        "berth_git_last_fetch_success_timestamp_seconds", "gauge", "Unix time a git fetch last succeeded (0 before the first).",
        [("", Self.number(git.lastFetch?.timeIntervalSince1970 ?? 0))])
      family(
        "berth_git_fetch_failures_total", "counter", "Git fetches (or checkouts) that failed since the start.",
        [("", String(git.fetchFailuresTotal))])
      family(
        "berth_git_head_refused", "gauge", "1 while the newest fetched commit is refused because it does not validate.",
        [("", git.headRefused ? "1" : "0")])
      family(
        "berth_git_commits_behind", "gauge", "Commits the running commit is behind the newest fetched one.",
        [("", String(git.commitsBehind))])
    }
    return text
  }

  /// A sample value: integers without a fraction, others in Swift's shortest round-trip form.
  static func number(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return String(value)
  }

  static func escapeLabel(_ value: String) -> String {
    value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      .replacingOccurrences(of: "\n", with: "\\n")
  }
}

/// The loop's metrics shared with the HTTP server's threads.
public final class WatchMetricsStore: @unchecked Sendable {
  private let lock = NSLock()
  private var metrics: WatchMetrics

  public init(_ metrics: WatchMetrics) {
    self.metrics = metrics
  }

  /// A consistent copy.
  public var snapshot: WatchMetrics { lock.withLock { metrics } }

  public func update(_ change: (inout WatchMetrics) -> Void) {
    lock.withLock { change(&metrics) }
  }
}
