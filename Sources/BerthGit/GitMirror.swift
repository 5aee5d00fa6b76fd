import BerthProcess
import Foundation

/// A bare cache clone of one branch of a remote, and folders holding one commit each.
///
/// Layout under `directory`: `repo.git` (the bare clone), `checkouts/<sha>` (complete trees), `checkouts/current`
/// (a link to the selected one). A checkout is written under a temporary name and renamed when complete, and
/// `current` is replaced with one `rename`, so a reader of `current` sees one whole commit or the previous one.
public struct GitMirror: Sendable {
  public var url: String
  public var branch: String
  /// Follow the newest tag matching this glob (`v*`, `release-*`) instead of `branch`; newest by version order
  /// (`v1.10` after `v1.9`), as `git tag --sort=v:refname` sorts.
  public var tagPattern: String?
  public var auth: GitAuth
  public var directory: String
  /// How long one git command may take.
  public var timeout: Duration
  /// The environment git starts from (the process's own; tests pass their own).
  public var environment: [String: String]

  public init(
    url: String, branch: String, tagPattern: String? = nil, auth: GitAuth = .none, directory: String,
    timeout: Duration = .seconds(300), environment: [String: String] = ProcessInfo.processInfo.environment
  ) {
    self.url = url
    self.branch = branch
    self.tagPattern = tagPattern
    self.auth = auth
    self.directory = directory
    self.timeout = timeout
    self.environment = environment
  }

  var repository: String { directory + "/repo.git" }
  public var checkouts: String { directory + "/checkouts" }
  /// The link to the selected commit's tree.
  public var current: String { checkouts + "/current" }
  /// Where the fetched branch head is kept in the cache clone.
  var trackingRef: String { "refs/berth/heads/" + branch }

  /// What is followed, for messages: `branch 'main'` or `tags matching 'v*'`.
  public var followed: String { tagPattern.map { "tags matching '\($0)'" } ?? "branch '\(branch)'" }

  /// Fetches the branch (or the tags) and returns the commit to run: the branch head, or the newest matching tag's.
  public func fetch() throws -> GitCommit {
    let files = FileManager.default
    if !files.fileExists(atPath: repository + "/HEAD") {
      try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
      try git(["init", "--bare", "--quiet", repository], inRepository: false)
    }
    // The URL is passed each time rather than stored, so a changed --git takes effect and no config file holds it.
    let refspec = tagPattern == nil ? "+refs/heads/\(branch):\(trackingRef)" : "+refs/tags/*:refs/berth/tags/*"
    try git(
      ["fetch", "--quiet", "--no-tags", "--prune", "--no-write-fetch-head", url, refspec], what: "fetch \(followed)")
    var ref = trackingRef
    if let tagPattern {
      let tags = try git(["for-each-ref", "--sort=-v:refname", "--format=%(refname)", "refs/berth/tags/\(tagPattern)"])
      guard let newest = tags.split(separator: "\n").first else { throw GitError("no tag matches '\(tagPattern)'") }
      ref = String(newest)
    }
    let sha = try git(["rev-parse", "--verify", "--quiet", ref + "^{commit}"]).trimmingCharacters(in: .whitespacesAndNewlines)
    return try commit(sha)
  }

  /// Whether `sha` carries an SSH signature by a key in `allowedSigners` (git's `gpg.ssh.allowedSignersFile` format:
  /// `principal ssh-ed25519 AAAA…` per line), as `git verify-commit` judges it.
  public func isSigned(_ sha: String, allowedSigners: String) throws -> Bool {
    do {
      try git(["-c", "gpg.ssh.allowedSignersFile=\(allowedSigners)", "verify-commit", sha], what: "verify \(sha.prefix(12))")
      return true
    } catch let error as GitError where error.description.contains("failed (exit") {
      return false
    }
  }

  /// How many commits `to` has that `from` has not (`git rev-list --count from..to`): how far the running commit is
  /// behind the head; nil when git cannot tell (a history rewritten under it).
  public func commitsBehind(_ from: String, _ to: String) -> Int? {
    (try? git(["rev-list", "--count", "\(from)..\(to)"])).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
  }

  /// Author, subject and date of `sha`.
  public func commit(_ sha: String) throws -> GitCommit {
    let text = try git(["show", "-s", "--no-show-signature", "--format=%H%x00%an <%ae>%x00%aI%x00%s", sha])
    let parts = text.trimmingCharacters(in: .newlines).components(separatedBy: "\0")
    guard parts.count == 4 else { throw GitError("git show printed an unexpected line for \(sha)") }
    return GitCommit(sha: parts[0], author: parts[1], subject: parts[3], date: parts[2])
  }

  /// The folder holding `commit`'s tree, written now unless an earlier call wrote it.
  public func checkout(_ commit: GitCommit) throws -> String {
    let files = FileManager.default
    let final = checkouts + "/" + commit.sha
    if files.fileExists(atPath: final) { return final }
    try files.createDirectory(atPath: checkouts, withIntermediateDirectories: true)
    let temporary = checkouts + "/.tmp-\(commit.sha)-\(UUID().uuidString)"
    let index = temporary + ".index"
    defer {
      try? files.removeItem(atPath: index)
      try? files.removeItem(atPath: temporary)
    }
    try files.createDirectory(atPath: temporary, withIntermediateDirectories: true)
    // A private index: the cache clone stays bare and untouched, and two checkouts never share state.
    try git(["read-tree", commit.sha], index: index, what: "read the tree of \(commit.shortSHA)")
    try git(["checkout-index", "--all", "--force"], index: index, workTree: temporary, what: "check out \(commit.shortSHA)")
    guard rename(temporary, final) == 0 || files.fileExists(atPath: final) else {
      throw GitError("cannot move the checkout of \(commit.shortSHA) into place: \(String(cString: strerror(errno)))")
    }
    return final
  }

  /// Points `current` at `commit`'s checkout with one atomic rename.
  public func select(_ commit: GitCommit) throws {
    let link = checkouts + "/.current-\(UUID().uuidString)"
    try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: commit.sha)
    guard rename(link, current) == 0 else {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(atPath: link)
      throw GitError("cannot switch to \(commit.shortSHA): \(reason)")
    }
  }

  /// The commit `current` points at, if any (after a restart, the one selected before).
  public func selected() -> String? {
    try? FileManager.default.destinationOfSymbolicLink(atPath: current)
  }

  /// Removes checkouts other than those in `keep` (and the selected one), and leftovers of interrupted checkouts.
  public func prune(keeping keep: Set<String>) {
    let files = FileManager.default
    let kept = keep.union(selected().map { [$0] } ?? [])
    for name in (try? files.contentsOfDirectory(atPath: checkouts)) ?? [] where name != "current" && !kept.contains(name) {
      try? files.removeItem(atPath: checkouts + "/" + name)
    }
  }

  // MARK: - Running git

  @discardableResult
  func git(
    _ arguments: [String], inRepository: Bool = true, index: String? = nil, workTree: String? = nil, what: String? = nil
  ) throws -> String {
    var environment = self.environment.filter { key, _ in
      // A trace would print the Authorization header; a caller's GIT_DIR or index would redirect every command.
      !key.hasPrefix("GIT_TRACE") && !["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CURL_VERBOSE"].contains(key)
    }
    environment["GIT_TERMINAL_PROMPT"] = "0"
    environment["GIT_ASKPASS"] = "/bin/true"
    environment["LC_ALL"] = "C"
    environment.merge(try auth.environment(from: self.environment)) { _, new in new }
    if let index { environment["GIT_INDEX_FILE"] = index }
    let prefix = (inRepository ? ["--git-dir=\(repository)"] : []) + (workTree.map { ["--work-tree=\($0)"] } ?? [])
    let command = Command("git", prefix + arguments, environment: environment, timeout: timeout)
    let result: CapturedOutput
    do {
      result = try CapturedRun.run(command)
    } catch {
      throw GitError("cannot run git: \(error)")
    }
    guard result.status == 0, !result.timedOut else {
      let said = result.errorText.split(separator: "\n").suffix(3).joined(separator: " ")
      let step = what ?? "git \(arguments.first ?? "")"
      if result.timedOut { throw GitError("\(step): git did not finish within \(timeout)") }
      throw GitError("\(step) failed (exit \(result.status))" + (said.isEmpty ? "" : ": \(said)"))
    }
    return result.outputText
  }
}
