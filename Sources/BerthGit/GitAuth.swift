import Foundation

/// How `git` authenticates to the remote; everything travels in the child's environment, nothing in argv.
public enum GitAuth: Sendable, Equatable {
  /// The remote needs none (a public repository, a local path, an agent already set up).
  case none
  /// An SSH private key file: `ssh -i KEY -o IdentitiesOnly=yes -o BatchMode=yes`.
  case sshKey(path: String)
  /// An HTTPS token read from the environment variable `variable`, sent as HTTP basic auth as `user`.
  case httpsToken(variable: String, user: String)

  /// The variables to add to git's environment; throws when the key file or the token variable is missing.
  ///
  /// The token becomes an `http.extraHeader` through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_0`/`GIT_CONFIG_VALUE_0`
  /// (git 2.31+): not in argv (`ps` shows it), not in a config file, not in the remote URL (git prints URLs).
  public func environment(from process: [String: String]) throws -> [String: String] {
    switch self {
    case .none:
      return [:]
    case .sshKey(let path):
      guard FileManager.default.isReadableFile(atPath: path) else {
        throw GitError("SSH key file '\(path)' does not exist or cannot be read")
      }
      return [
        "GIT_SSH_COMMAND": "ssh -i \(Self.shellQuoted(path)) -o IdentitiesOnly=yes -o BatchMode=yes"
      ]
    case .httpsToken(let variable, let user):
      guard let token = process[variable], !token.isEmpty else {
        throw GitError("the HTTPS token variable '\(variable)' is not set or empty")
      }
      let credentials = Data("\(user):\(token)".utf8).base64EncodedString()
      return [
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": "Authorization: Basic \(credentials)",
      ]
    }
  }

  /// `'…'` for `sh`, which is how git runs `GIT_SSH_COMMAND`.
  static func shellQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
  }
}
