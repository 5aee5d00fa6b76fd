/// One commit as the controller reports it: which one, who wrote it, what it says.
public struct GitCommit: Sendable, Hashable, Codable {
  /// The full object name (40 hex digits for SHA-1 repositories).
  public var sha: String
  /// `Name <email>`.
  public var author: String
  /// The first line of the message.
  public var subject: String
  /// The author date, ISO 8601 as git prints it.
  public var date: String

  public init(sha: String, author: String, subject: String, date: String = "") {
    self.sha = sha
    self.author = author
    self.subject = subject
    self.date = date
  }

  /// The first 12 digits, for messages.
  public var shortSHA: String { String(sha.prefix(12)) }
}
