import BerthModel
import Foundation

/// A user name and secret for one registry. `description` never shows the secret.
public struct RegistryCredentials: Hashable, Sendable, CustomStringConvertible {
  public var username: String
  public var password: String

  public init(username: String, password: String) {
    self.username = username
    self.password = password
  }

  public var description: String { "\(username):****" }

  /// `Basic base64(user:password)`.
  var basicAuthorization: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }
}

/// Where credentials for a registry come from: named environment variables, else a docker `config.json`, else none.
public struct CredentialSource: Sendable {
  public var environment: [String: String]
  /// The docker config file to read (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json` by default).
  public var dockerConfigPath: String?
  /// Azure AD credentials for Azure Container Registries that neither variables nor the docker config cover.
  public var exchange: ACRTokenExchange?

  public init(environment: [String: String] = ProcessInfo.processInfo.environment, dockerConfigPath: String? = nil) {
    self.environment = environment
    self.dockerConfigPath =
      dockerConfigPath
      ?? (environment["DOCKER_CONFIG"].map { $0 + "/config.json" }
        ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.docker/config.json")
  }

  /// Credentials for `host`: `usernameEnv`/`passwordEnv` when named (both must be set), else the docker config.
  public func credentials(for host: String, usernameEnv: String?, passwordEnv: String?) throws -> RegistryCredentials? {
    if usernameEnv != nil || passwordEnv != nil {
      guard let usernameEnv, let passwordEnv else {
        throw RegistryError.configuration("registry '\(host)' names only one of username_env and password_env; name both")
      }
      let missing = [usernameEnv, passwordEnv].filter { (environment[$0] ?? "").isEmpty }
      guard missing.isEmpty else {
        throw RegistryError.configuration(
          "registry '\(host)' takes its credentials from \(missing.map { "$" + $0 }.joined(separator: " and ")), which "
            + (missing.count == 1 ? "is" : "are") + " not set")
      }
      return RegistryCredentials(username: environment[usernameEnv]!, password: environment[passwordEnv]!)
    }
    return dockerConfig(for: host)
  }

  /// Credentials for a registry Berth pushes to or reads from: `credentials(for:)`, else, for an Azure Container
  /// Registry (or any registry with `azure_ad: true`), an Azure AD token exchanged for a refresh token.
  public func resolve(_ registry: RegistryReference, host: String) async throws -> RegistryCredentials? {
    if let found = try credentials(for: host, usernameEnv: registry.usernameEnv, passwordEnv: registry.passwordEnv) {
      return found
    }
    let wantsAzureAD = registry.azureAD ?? ACRTokenExchange.isACR(host)
    guard wantsAzureAD else { return nil }
    guard let exchange else {
      throw RegistryError.configuration(
        "registry '\(host)' wants Azure AD credentials, which this build cannot get; set username_env/password_env")
    }
    return try await exchange.credentials(for: host, insecure: registry.insecure)
  }

  /// The `auths` entry of the docker config for `host` (`auth` as base64 `user:password`, or `username`/`password`).
  func dockerConfig(for host: String) -> RegistryCredentials? {
    guard let path = dockerConfigPath, let data = FileManager.default.contents(atPath: path),
      let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let auths = root["auths"] as? [String: Any]
    else { return nil }
    var keys = [host, "https://" + host, "http://" + host, "https://" + host + "/v1/", "https://" + host + "/v2/"]
    if host == "docker.io" || host == "registry-1.docker.io" {
      keys += ["https://index.docker.io/v1/", "index.docker.io", "docker.io"]
    }
    for key in keys {
      guard let entry = auths[key] as? [String: Any] else { continue }
      if let auth = entry["auth"] as? String, let decoded = Data(base64Encoded: auth),
        let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
      {
        return RegistryCredentials(username: String(text[..<colon]), password: String(text[text.index(after: colon)...]))
      }
      if let username = entry["username"] as? String, let password = entry["password"] as? String {
        return RegistryCredentials(username: username, password: password)
      }
    }
    return nil
  }
}
