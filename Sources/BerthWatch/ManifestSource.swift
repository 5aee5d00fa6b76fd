import BerthGit
import Foundation

/// Where the loop reads its manifests each cycle, when that is not a fixed folder: a git branch.
public protocol ManifestSourcing: Sendable {
  /// Brings the source up to date and says what to reconcile.
  func sync() async -> SourceSync
}

/// The outcome of bringing a source up to date.
public struct SourceSync: Sendable, Equatable {
  /// The manifests folder to reconcile; nil when no commit has validated yet.
  public var path: String?
  public var overlays: [String]
  /// The commit at `path`.
  public var commit: GitCommit?
  /// The newest commit fetched (the same as `commit` unless it was refused).
  public var head: GitCommit?
  /// Set when `head` was refused, this time or before.
  public var refused: ControllerStatus.Refusal?
  /// True the first time `head` is judged (switched to or refused), so that it is logged and notified once.
  public var isNew: Bool
  /// Why fetching failed this time; the previous commit is reconciled meanwhile.
  public var fetchError: String?
  /// Commits on the followed branch (or tag) that the running commit does not have; 0 when it runs the head.
  public var behind = 0

  public init(
    path: String?, overlays: [String] = [], commit: GitCommit? = nil, head: GitCommit? = nil,
    refused: ControllerStatus.Refusal? = nil, isNew: Bool = false, fetchError: String? = nil
  ) {
    self.path = path
    self.overlays = overlays
    self.commit = commit
    self.head = head
    self.refused = refused
    self.isNew = isNew
    self.fetchError = fetchError
  }
}
