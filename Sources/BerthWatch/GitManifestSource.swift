import BerthGit
import BerthKit
import BerthModel
import Foundation

/// A branch of a git remote as the loop's manifests: fetch, check the head out beside the others, validate it, and
/// only then switch `current` to it. A head that does not validate is refused as a whole and the commit before it
/// keeps being reconciled.
public final class GitManifestSource: ManifestSourcing, @unchecked Sendable {
  public let mirror: GitMirror
  /// The manifests' folder inside the repository (`--path`), "" for its root.
  public let subpath: String
  /// Overlay folders inside the repository.
  public let overlays: [String]
  /// With `--require-signed`: the allowed signers file every commit's SSH signature is checked against.
  public let allowedSigners: String?
  private let lock = NSLock()
  private var accepted: GitCommit?
  private var refusals: [String: ControllerStatus.Refusal] = [:]

  public init(mirror: GitMirror, subpath: String = "", overlays: [String] = [], allowedSigners: String? = nil) {
    self.mirror = mirror
    self.allowedSigners = allowedSigners
    self.subpath = subpath.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    self.overlays = overlays
    // After a restart the commit selected before is reconciled until the fetch says otherwise.
    if let sha = mirror.selected() { accepted = try? mirror.commit(sha) }
  }

  /// `current/<subpath>`: one path for every commit, so that recorded paths and digests do not move with the sha.
  public var manifestsPath: String { Self.join(mirror.current, subpath) }

  public var overlayPaths: [String] { overlays.map { Self.join(mirror.current, $0) } }

  public func sync() async -> SourceSync {
    let mirror = self.mirror
    let fetched: Result<GitCommit, Error> = await Self.offPool { Result { try mirror.fetch() } }
    let accepted = lock.withLock { self.accepted }
    let path = accepted == nil ? nil : manifestsPath
    let head: GitCommit
    switch fetched {
    case .failure(let error):
      return SourceSync(path: path, overlays: overlayPaths, commit: accepted, head: nil, fetchError: "\(error)")
    case .success(let commit): head = commit
    }
    if head.sha == accepted?.sha {
      return SourceSync(path: path, overlays: overlayPaths, commit: accepted, head: head)
    }
    if let refusal = lock.withLock({ refusals[head.sha] }) {
      var sync = SourceSync(path: path, overlays: overlayPaths, commit: accepted, head: head, refused: refusal)
      sync.behind = accepted.flatMap { mirror.commitsBehind($0.sha, head.sha) } ?? 0
      return sync
    }
    let judged: Result<ControllerStatus.Refusal?, Error> = await Self.offPool { Result { try self.judge(head) } }
    switch judged {
    case .failure(let error):
      return SourceSync(path: path, overlays: overlayPaths, commit: accepted, head: head, fetchError: "\(error)")
    case .success(let refusal?):
      lock.withLock { refusals = [head.sha: refusal] }  // Only the newest head matters; older ones are history.
      var sync = SourceSync(path: path, overlays: overlayPaths, commit: accepted, head: head, refused: refusal, isNew: true)
      sync.behind = accepted.flatMap { mirror.commitsBehind($0.sha, head.sha) } ?? 0
      return sync
    case .success(nil):
      let previous = lock.withLock { () -> GitCommit? in
        defer { self.accepted = head }
        return self.accepted
      }
      mirror.prune(keeping: Set([head.sha] + (previous.map { [$0.sha] } ?? [])))
      return SourceSync(path: manifestsPath, overlays: overlayPaths, commit: head, head: head, isNew: true)
    }
  }

  /// Checks `commit` out and validates it; selects it when valid, otherwise returns why it is refused.
  func judge(_ commit: GitCommit) throws -> ControllerStatus.Refusal? {
    if let allowedSigners, try !mirror.isSigned(commit.sha, allowedSigners: allowedSigners) {
      return .init(
        commit: commit, errors: 1, locations: ["the commit's signature (git verify-commit)"],
        reason: "not signed by a key in the allowed signers file")
    }
    let tree = try mirror.checkout(commit)
    let manifests = Self.join(tree, subpath)
    guard FileManager.default.fileExists(atPath: manifests) else {
      return .init(commit: commit, errors: 1, locations: ["--path '\(subpath)' does not exist in this commit"])
    }
    let validation = Validation.run(path: manifests, overlays: overlays.map { Self.join(tree, $0) })
    guard validation.isValid else {
      let errors = validation.diagnostics.filter { $0.severity == .error }
      return .init(
        commit: commit, errors: errors.count,
        locations: errors.prefix(10).map { error in
          // Relative to the repository: the checkout folder is an implementation detail.
          let place = error.location.map(\.description) ?? "(no location)"
          return place.hasPrefix(tree + "/") ? String(place.dropFirst(tree.count + 1)) : place
        })
    }
    try mirror.select(commit)
    return nil
  }

  static func join(_ base: String, _ sub: String) -> String { sub.isEmpty ? base : base + "/" + sub }

  /// Runs blocking git work on a thread of its own, not on the cooperative pool.
  static func offPool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
      Thread.detachNewThread { continuation.resume(returning: body()) }
    }
  }
}
