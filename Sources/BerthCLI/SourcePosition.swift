import BerthGit
import BerthKit
import BerthState
import Foundation

/// Where applied state stands against the git history of the manifests: the commit an apply comes from, and how
/// far the recorded state is behind the work tree's HEAD (what `plan` and `drift` say).
enum SourcePosition {
  /// The folder git runs in for a `--dir` that may name one file.
  static func folder(_ path: String) -> String {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { return path }
    return (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
  }

  /// HEAD of the manifests' work tree when nothing under the manifest folder is uncommitted: then the records an
  /// apply writes can say which commit they came from. Nil outside git, or with uncommitted changes (the applied
  /// manifests are then no commit's).
  static func commitForApply(path: String) -> SourceCommit? {
    guard let tree = GitWorkTree.containing(folder(path)), tree.isClean(), let head = tree.head() else { return nil }
    return SourceCommit(sha: head.sha, author: head.author, subject: head.subject)
  }

  /// One line on the commit the most recently applied record came from against HEAD; nil when no record carries a
  /// commit or the manifests are not in a git work tree.
  static func line(state: StateSnapshot, path: String) -> String? {
    let stamped = state.resources.values.compactMap { record in
      SourceCommit(outputs: record.outputs).map { (commit: $0, at: record.updatedAt) }
    }
    guard let newest = stamped.max(by: { $0.at < $1.at })?.commit,
      let tree = GitWorkTree.containing(folder(path)), let head = tree.head()
    else { return nil }
    let short = String(newest.sha.prefix(12))
    let what = "The recorded state was applied from commit \(short)" + (newest.subject.isEmpty ? "" : " (\"\(newest.subject)\")")
    guard let distance = tree.distance(from: newest.sha) else {
      return "\(what), which this repository does not have (fetch it to compare with HEAD)."
    }
    if distance.behind == 0 && distance.ahead == 0 { return "\(what), which is HEAD." }
    var parts: [String] = []
    if distance.behind > 0 {
      parts.append("\(distance.behind) commit\(distance.behind == 1 ? "" : "s") behind HEAD (\(head.shortSHA))")
    }
    if distance.ahead > 0 {
      parts.append("with \(distance.ahead) commit\(distance.ahead == 1 ? "" : "s") HEAD does not have")
    }
    return "\(what): " + parts.joined(separator: ", ") + "."
  }
}
