import BerthProcess
import Foundation

/// The git work tree a manifest folder lives in, read with the system `git`: its HEAD, whether the folder has
/// uncommitted changes, and how a recorded commit relates to HEAD. Every answer is optional: a folder outside a
/// repository, or a machine without git, simply has no source position.
public struct GitWorkTree: Sendable {
  /// The folder the commands run in (the manifest folder).
  public let folder: String
  let timeout: Duration

  /// The work tree containing `folder`, or nil when there is none (or no git).
  public static func containing(_ folder: String, timeout: Duration = .seconds(10)) -> GitWorkTree? {
    let tree = GitWorkTree(folder: folder, timeout: timeout)
    guard tree.run(["rev-parse", "--is-inside-work-tree"])?.trimmingCharacters(in: .whitespacesAndNewlines) == "true"
    else { return nil }
    return tree
  }

  /// HEAD, or nil in a repository without commits.
  public func head() -> GitCommit? {
    guard let text = run(["show", "-s", "--no-show-signature", "--format=%H%x00%an <%ae>%x00%aI%x00%s", "HEAD"]) else {
      return nil
    }
    let parts = text.trimmingCharacters(in: .newlines).split(separator: "\u{0}", omittingEmptySubsequences: false).map(
      String.init)
    guard parts.count == 4 else { return nil }
    return GitCommit(sha: parts[0], author: parts[1], subject: parts[3], date: parts[2])
  }

  /// Whether the folder has no uncommitted change (tracked or untracked) under it.
  public func isClean() -> Bool {
    run(["status", "--porcelain", "--", "."]).map { $0.isEmpty } ?? false
  }

  /// How `recorded` relates to HEAD: commits HEAD has that it lacks (`behind`) and the reverse (`ahead`); nil when
  /// this repository does not know `recorded`.
  public func distance(from recorded: String) -> (behind: Int, ahead: Int)? {
    guard let text = run(["rev-list", "--left-right", "--count", "\(recorded)...HEAD"]) else { return nil }
    let counts = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
    guard counts.count == 2 else { return nil }
    return (behind: counts[1], ahead: counts[0])
  }

  /// Output of `git -C folder ARGS`, nil on any failure.
  private func run(_ arguments: [String]) -> String? {
    var environment = ProcessInfo.processInfo.environment.filter { key, _ in
      !["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"].contains(key)
    }
    environment["LC_ALL"] = "C"
    environment["GIT_TERMINAL_PROMPT"] = "0"
    guard
      let result = try? CapturedRun.run(Command("git", ["-C", folder] + arguments, environment: environment, timeout: timeout)),
      result.status == 0, !result.timedOut
    else { return nil }
    return result.outputText
  }
}
