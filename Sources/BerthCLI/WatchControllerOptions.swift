import ArgumentParser
import BerthGit
import BerthWatch
import Foundation

/// `berth watch` as a GitOps controller: where the manifests come from, who is told, who may look.
struct WatchControllerOptions: ParsableArguments {
  @Option(name: .customLong("git"), help: ArgumentHelp("Pull the manifests from this git remote.", valueName: "url"))
  var gitURL: String?

  @Option(help: ArgumentHelp("The branch to follow (with --git; default: main).", valueName: "name"))
  var branch: String?

  @Option(
    name: .customLong("tag-pattern"),
    help: ArgumentHelp("Follow the newest tag matching this glob (v*) instead of a branch.", valueName: "glob"))
  var tagPattern: String?

  @Option(name: .customLong("path"), help: ArgumentHelp("The manifests' folder inside the repository.", valueName: "dir"))
  var repositoryPath = ""

  @Option(
    name: .customLong("work-dir"),
    help: ArgumentHelp("Where the git cache, the checkouts and the workspace's .berth/ live (with --git).", valueName: "dir"))
  var workDirectory = "."

  @Option(name: .customLong("ssh-key"), help: ArgumentHelp("An SSH private key file for the remote.", valueName: "file"))
  var sshKey: String?

  @Option(
    name: .customLong("https-token-env"),
    help: ArgumentHelp("The environment variable holding an HTTPS token for the remote.", valueName: "name"))
  var httpsTokenVariable: String?

  @Option(name: .customLong("https-user"), help: ArgumentHelp("The user name sent with the token.", valueName: "name"))
  var httpsUser = "x-access-token"

  @Option(
    name: .customLong("require-signed"),
    help: ArgumentHelp("Refuse commits not SSH-signed by a key in this allowed-signers file.", valueName: "file"))
  var allowedSigners: String?

  @Option(
    name: .customLong("webhook-secret-env"),
    help: ArgumentHelp(
      "The environment variable holding the secret of POST /hooks/git (GitHub HMAC or GitLab token).", valueName: "name"))
  var webhookSecretVariable: String?

  @Option(
    name: .customLong("notify"),
    help: ArgumentHelp(
      "A webhook told about applies, drift, refused commits and recovery (repeatable; env:NAME reads it).",
      valueName: "url"))
  var notify: [String] = []

  @Option(name: .customLong("notify-format"), help: ArgumentHelp("json, slack or teams.", valueName: "format"))
  var notifyFormat = "json"

  @Option(
    name: .customLong("page-token-env"),
    help: ArgumentHelp("The environment variable holding a bearer token the status page requires.", valueName: "name"))
  var pageTokenVariable: String?

  @Option(
    name: .customLong("page-basic-auth-env"),
    help: ArgumentHelp("The environment variable holding user:password the status page requires.", valueName: "name"))
  var pageBasicVariable: String?

  func validate(dir: String?, environment: [String: String]) throws {
    if gitURL != nil, dir != nil {
      throw ValidationError("--dir and --git exclude each other; with --git, --path names the folder inside the repository")
    }
    if gitURL == nil, sshKey != nil || httpsTokenVariable != nil || repositoryPath != "" || branch != nil || tagPattern != nil {
      throw ValidationError("--branch, --tag-pattern, --path, --ssh-key and --https-token-env need --git")
    }
    if branch != nil, tagPattern != nil { throw ValidationError("--branch and --tag-pattern exclude each other") }
    if let allowedSigners {
      guard gitURL != nil else { throw ValidationError("--require-signed needs --git") }
      guard FileManager.default.isReadableFile(atPath: allowedSigners) else {
        throw ValidationError("--require-signed: cannot read the allowed signers file '\(allowedSigners)'")
      }
    }
    if let tagPattern, tagPattern.isEmpty || tagPattern.hasPrefix("-") || tagPattern.contains("..") {
      throw ValidationError("--tag-pattern must be a glob such as v* (got '\(tagPattern)')")
    }
    if sshKey != nil, httpsTokenVariable != nil { throw ValidationError("--ssh-key and --https-token-env exclude each other") }
    // git would get the URL in its argv (`ps` shows it) and print it in errors.
    if let url = gitURL, let components = URLComponents(string: url), components.password != nil {
      throw ValidationError(
        "--git must not carry a password or token in the URL; put the token in a variable and name it with --https-token-env")
    }
    if repositoryPath.split(separator: "/").contains("..") || repositoryPath.hasPrefix("/") {
      throw ValidationError("--path must be a folder inside the repository (got '\(repositoryPath)')")
    }
    guard NotificationFormat(rawValue: notifyFormat) != nil else {
      throw ValidationError("--notify-format must be json, slack or teams (got '\(notifyFormat)')")
    }
    for name in [webhookSecretVariable, pageTokenVariable, pageBasicVariable, httpsTokenVariable].compactMap({ $0 }) {
      guard let value = environment[name], !value.isEmpty else {
        throw ValidationError("the environment variable '\(name)' is not set or empty")
      }
    }
    if let basic = pageBasicVariable, environment[basic]?.contains(":") != true {
      throw ValidationError("the environment variable '\(basic)' must hold user:password")
    }
    for target in notify {
      guard let url = Self.resolve(target, environment: environment) else {
        throw ValidationError("--notify \(target): the environment variable is not set")
      }
      guard let components = URLComponents(string: url), ["http", "https"].contains(components.scheme ?? ""),
        components.host != nil
      else {
        throw ValidationError("--notify needs an http(s) URL")  // The URL itself may be a secret: not echoed.
      }
    }
  }

  var auth: GitAuth {
    if let sshKey { return .sshKey(path: sshKey) }
    if let httpsTokenVariable { return .httpsToken(variable: httpsTokenVariable, user: httpsUser) }
    return .none
  }

  func notifyTargets(environment: [String: String]) -> [NotifyTarget] {
    let format = NotificationFormat(rawValue: notifyFormat) ?? .json
    return notify.compactMap { Self.resolve($0, environment: environment) }.map { NotifyTarget(url: $0, format: format) }
  }

  /// `env:NAME` reads the URL from the environment, keeping a Slack or Teams URL (a secret) out of argv.
  static func resolve(_ target: String, environment: [String: String]) -> String? {
    guard target.hasPrefix("env:") else { return target }
    return environment[String(target.dropFirst(4))].flatMap { $0.isEmpty ? nil : $0 }
  }

  var absoluteWorkDirectory: String {
    let expanded = (workDirectory as NSString).expandingTildeInPath
    let path = expanded.hasPrefix("/") ? expanded : FileManager.default.currentDirectoryPath + "/" + expanded
    return (path as NSString).standardizingPath
  }
}
