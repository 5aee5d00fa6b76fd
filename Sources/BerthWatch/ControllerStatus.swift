import BerthGit
import Foundation

/// What the status page shows: the loop, the git source, every resource, drift and the last applies. A value,
/// updated by the loop at the end of each cycle and rendered by `StatusPage`.
public struct ControllerStatus: Sendable, Equatable {
  /// One resource, desired or recorded.
  public struct Resource: Sendable, Equatable {
    public var address: String
    public var kind: String
    /// `Healthy`, `Degraded`, `Missing`… for services as the target answered; `-` for the rest.
    public var health: String
    /// `Synced`, `OutOfSync` (an action is pending), `Drifted` (changed outside Berth), `Failed` (the last apply).
    public var sync: String
    /// Why it is not synced: the plan's reason, the drift message and changed fields, or the apply's error.
    public var reason: String
    public var revision: String?
    public var scoringURI: String?
    /// The commit that last changed its record.
    public var commit: String?

    public init(
      address: String, kind: String, health: String, sync: String, reason: String = "", revision: String? = nil,
      scoringURI: String? = nil, commit: String? = nil
    ) {
      self.address = address
      self.kind = kind
      self.health = health
      self.sync = sync
      self.reason = reason
      self.revision = revision
      self.scoringURI = scoringURI
      self.commit = commit
    }
  }

  /// One apply the loop ran.
  public struct ApplyEntry: Sendable, Equatable {
    public var cycle: Int
    public var at: Date
    public var commit: String?
    public var succeeded: Int
    public var failed: [String]
    /// `+model/m ~service/web`, as the log's `actions`.
    public var actions: String
  }

  /// A commit that was fetched but not applied: its manifests do not validate, or it is not signed as required.
  public struct Refusal: Sendable, Equatable {
    public var commit: GitCommit
    public var errors: Int
    /// Where the first errors are (`file:line:col`); messages stay out, as they can quote manifest values.
    public var locations: [String]
    /// Why, for people: `1 validation error(s)`, `not signed by an allowed signer`.
    public var reason: String

    public init(commit: GitCommit, errors: Int, locations: [String], reason: String? = nil) {
      self.commit = commit
      self.errors = errors
      self.locations = locations
      self.reason = reason ?? "\(errors) validation error(s)"
    }
  }

  /// The git source, when the loop pulls from one.
  public struct Source: Sendable, Equatable {
    /// The remote, its password (if any was written into it) masked.
    public var url: String
    /// What is followed: a branch name, or `tags matching 'v*'`.
    public var branch: String
    public var path: String
    /// The commit being reconciled.
    public var current: GitCommit?
    /// The newest commit fetched.
    public var head: GitCommit?
    public var refused: Refusal?
    public var fetchError: String?
    public var fetchedAt: Date?
    /// Commits the running commit is behind the newest fetched one.
    public var behind = 0

    public init(url: String, branch: String, path: String) {
      self.url = url
      self.branch = branch
      self.path = path
    }
  }

  public var selfHeal: Bool
  public var interval: TimeInterval
  public var source: Source?
  /// The last cycle's number, result and reason.
  public var cycle = 0
  public var result: CycleResult?
  public var reason: String?
  public var lastCycleEnd: Date?
  public var nextCycleAt: Date?
  public var resources: [Resource] = []
  public var applies: [ApplyEntry] = []
  /// The resource graph of the reconciled manifests: SVG when Graphviz is installed, otherwise nil (and DOT text).
  public var graphSVG: String?
  public var graphDOT: String?
  /// The manifests digest the graph was drawn for.
  var graphFor: String?

  public init(selfHeal: Bool, interval: TimeInterval, source: Source? = nil) {
    self.selfHeal = selfHeal
    self.interval = interval
    self.source = source
  }

  /// Applies kept for the page.
  static let appliesKept = 20

  mutating func recordApply(_ entry: ApplyEntry) {
    applies.insert(entry, at: 0)
    if applies.count > Self.appliesKept { applies.removeLast(applies.count - Self.appliesKept) }
  }

  /// Resources whose sync is `Drifted`.
  public var drifted: [Resource] { resources.filter { $0.sync == "Drifted" } }
}

/// The status shared between the loop and the HTTP server's thread.
public final class ControllerStatusStore: @unchecked Sendable {
  private let lock = NSLock()
  private var status: ControllerStatus

  public init(_ status: ControllerStatus) {
    self.status = status
  }

  public var snapshot: ControllerStatus { lock.withLock { status } }

  public func update(_ change: (inout ControllerStatus) -> Void) {
    lock.withLock { change(&status) }
  }
}
