import BerthApply
import BerthModel
import BerthPlan

/// The commit an apply came from (`berth watch --git`), recorded with what it changed.
public struct SourceCommit: Sendable, Hashable {
  public var sha: String
  /// `Name <email>`.
  public var author: String
  public var subject: String

  public init(sha: String, author: String, subject: String) {
    self.sha = sha
    self.author = author
    self.subject = subject
  }

  /// The output keys a stamped record carries.
  public static let shaKey = "commit"
  public static let authorKey = "commit_author"
  public static let subjectKey = "commit_subject"
  public static let outputKeys = [shaKey, authorKey, subjectKey]

  /// The commit a record was last applied from, if it was stamped.
  public init?(outputs: Attributes) {
    guard case .string(let sha)? = outputs[Self.shaKey] else { return nil }
    func text(_ key: String) -> String { if case .string(let value)? = outputs[key] { value } else { "" } }
    self.init(sha: sha, author: text(Self.authorKey), subject: text(Self.subjectKey))
  }
}

/// Adds the source commit to every successful action's outputs and history message.
///
/// The outputs are the record's free-form part, so state written before this (or without `--git`) reads as it
/// did: a record without `commit` simply came from no known commit.
struct SourceStampingPerformer: ActionPerforming {
  var inner: any ActionPerforming
  var source: SourceCommit

  func perform(_ action: PlannedAction, context: ActionContext) async throws -> ActionResult {
    var result = try await inner.perform(action, context: context)
    result.outputs[SourceCommit.shaKey] = .string(source.sha)
    result.outputs[SourceCommit.authorKey] = .string(source.author)
    result.outputs[SourceCommit.subjectKey] = .string(source.subject)
    let stamp = "commit \(source.sha.prefix(12))"
    result.message = result.message.isEmpty ? stamp : "\(result.message) (\(stamp))"
    return result
  }
}
