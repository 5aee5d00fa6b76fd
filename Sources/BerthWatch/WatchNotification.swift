import BerthGit
import BerthModel
import Foundation

/// Something people should hear about: an apply's outcome, drift, a refused commit, recovery.
public struct WatchNotification: Sendable, Equatable {
  public enum Kind: String, Sendable, CaseIterable {
    case applySucceeded = "apply_succeeded"
    case applyFailed = "apply_failed"
    case driftFound = "drift_found"
    case commitRefused = "commit_refused"
    case recovered

    /// `info`, `warning` or `error`.
    public var severity: String {
      switch self {
      case .applySucceeded, .recovered: "info"
      case .driftFound: "warning"
      case .applyFailed, .commitRefused: "error"
      }
    }
  }

  public var kind: Kind
  /// One line for people.
  public var summary: String
  /// Addresses with what happened to them, `file:line:col` of errors…
  public var details: [String]
  public var commit: GitCommit?
  public var time: Date

  public init(kind: Kind, summary: String, details: [String] = [], commit: GitCommit? = nil, time: Date) {
    self.kind = kind
    self.summary = summary
    self.details = details
    self.commit = commit
    self.time = time
  }
}

/// The payload shape a webhook receiver understands (`--notify-format`).
public enum NotificationFormat: String, Sendable, CaseIterable {
  /// Berth's own JSON object (docs/controller.md).
  case json
  /// A Slack incoming webhook: `{"text": …}` with mrkdwn.
  case slack
  /// A Microsoft Teams incoming webhook: a MessageCard.
  case teams

  /// The request body for `notification`; detail lines are capped so that a payload stays small.
  public func body(_ notification: WatchNotification, detailLimit: Int = 20) -> String {
    let details =
      Array(notification.details.prefix(detailLimit))
      + (notification.details.count > detailLimit ? ["… and \(notification.details.count - detailLimit) more"] : [])
    let commitLine = notification.commit.map { "commit \($0.shortSHA) \"\($0.subject)\" by \($0.author)" }
    switch self {
    case .json:
      var members = [
        "\"source\":\"berth\"", "\"event\":" + JSONString.quoted(notification.kind.rawValue),
        "\"severity\":" + JSONString.quoted(notification.kind.severity),
        "\"summary\":" + JSONString.quoted(notification.summary),
        "\"details\":[" + details.map(JSONString.quoted).joined(separator: ",") + "]",
        "\"time\":" + JSONString.quoted(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(notification.time)),
      ]
      if let commit = notification.commit {
        members.append(
          "\"commit\":{\"sha\":\(JSONString.quoted(commit.sha)),\"author\":\(JSONString.quoted(commit.author)),"
            + "\"subject\":\(JSONString.quoted(commit.subject))}")
      }
      return "{" + members.joined(separator: ",") + "}"
    case .slack:
      let icon =
        switch notification.kind.severity {
        case "error": ":red_circle:"
        case "warning": ":warning:"
        default: ":white_check_mark:"
        }
      var lines = ["\(icon) *berth*: \(notification.summary)"]
      if let commitLine { lines.append(commitLine) }
      lines += details.map { "• \($0)" }
      return "{\"text\":" + JSONString.quoted(lines.joined(separator: "\n")) + "}"
    case .teams:
      let color =
        switch notification.kind.severity {
        case "error": "D70000"
        case "warning": "FFA500"
        default: "2EB886"
        }
      var text = details.map { "- \($0)" }.joined(separator: "\n")
      if let commitLine { text = commitLine + (text.isEmpty ? "" : "\n\n" + text) }
      return "{\"@type\":\"MessageCard\",\"@context\":\"https://schema.org/extensions\","
        + "\"themeColor\":\"\(color)\",\"summary\":\(JSONString.quoted(notification.summary)),"
        + "\"title\":\(JSONString.quoted("berth: " + notification.summary)),\"text\":\(JSONString.quoted(text))}"
    }
  }
}
