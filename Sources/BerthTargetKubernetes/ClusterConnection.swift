import BerthModel
import Foundation

/// How to reach one cluster: the API server, credentials and trust, and the namespace services go to.
///
/// Built from a compute target's settings: `kubeconfig` + `context`, or `api_server` + `token_env` + `ca_file`.
/// Secrets (token, client key) live only in memory: `description` never shows them.
public struct ClusterConnection: Sendable, Hashable, CustomStringConvertible {
  /// `https://host:port` (or `http://` for a local test server).
  public var server: String
  public var namespace: String
  public var bearerToken: String?
  /// PEM of the CA that signs the API server's certificate; nil trusts the system roots.
  public var certificateAuthorityPEM: String?
  /// PEM client certificate and key, for kubeconfigs that authenticate with them.
  public var clientCertificatePEM: String?
  public var clientKeyPEM: String?
  public var insecureSkipTLSVerify: Bool

  public init(
    server: String, namespace: String, bearerToken: String? = nil, certificateAuthorityPEM: String? = nil,
    clientCertificatePEM: String? = nil, clientKeyPEM: String? = nil, insecureSkipTLSVerify: Bool = false
  ) {
    self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
    self.namespace = namespace
    self.bearerToken = bearerToken
    self.certificateAuthorityPEM = certificateAuthorityPEM
    self.clientCertificatePEM = clientCertificatePEM
    self.clientKeyPEM = clientKeyPEM
    self.insecureSkipTLSVerify = insecureSkipTLSVerify
  }

  public var description: String {
    let credential =
      bearerToken != nil ? "bearer token" : clientCertificatePEM != nil ? "client certificate" : "no credentials"
    return "\(server) namespace \(namespace) (\(credential))"
  }

  /// The namespace used when neither the compute target nor the kubeconfig context names one.
  public static let defaultNamespace = "default"

  /// Reads a compute target's settings; `environment` supplies `token_env`, `home` expands `~`.
  public static func resolve(
    _ settings: [String: FieldValue], environment: [String: String] = ProcessInfo.processInfo.environment,
    home: String = NSHomeDirectory()
  ) throws -> ClusterConnection {
    func text(_ key: String) -> String? {
      if case .string(let value)? = settings[key], !value.isEmpty { return value }
      return nil
    }
    func expand(_ path: String) -> String {
      path == "~" ? home : path.hasPrefix("~/") ? home + path.dropFirst(1) : path
    }
    let namespace = text("namespace")
    if let server = text("api_server") {
      guard let tokenVariable = text("token_env") else {
        throw KubernetesError.configuration("'api_server' needs 'token_env', the environment variable holding the API token")
      }
      guard let token = environment[tokenVariable], !token.isEmpty else {
        throw KubernetesError.configuration("environment variable \(tokenVariable) (token_env) is not set or empty")
      }
      var authority: String?
      if let caFile = text("ca_file") {
        guard let data = FileManager.default.contents(atPath: expand(caFile)) else {
          throw KubernetesError.configuration("cannot read ca_file '\(caFile)'")
        }
        authority = String(decoding: data, as: UTF8.self)
      }
      return ClusterConnection(
        server: server, namespace: namespace ?? defaultNamespace, bearerToken: token, certificateAuthorityPEM: authority)
    }
    let path = expand(
      text("kubeconfig") ?? environment["KUBECONFIG"]?.split(separator: ":").first.map(String.init) ?? "~/.kube/config")
    let config = try Kubeconfig.load(path: path)
    var connection = try config.connection(context: text("context"), baseDirectory: (path as NSString).deletingLastPathComponent)
    if let namespace { connection.namespace = namespace }
    return connection
  }

  /// The namespace services of a compute target go to, without credentials: the `namespace` setting,
  /// else the kubeconfig context's namespace (when the file is readable), else `default`.
  public static func namespace(
    of settings: [String: FieldValue], environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> String {
    if case .string(let namespace)? = settings["namespace"], !namespace.isEmpty { return namespace }
    // A cluster reached through its cloud (AKS settings) has no kubeconfig context to ask.
    if settings["cluster_resource_id"] != nil || settings["resource_group"] != nil { return defaultNamespace }
    var withoutToken = settings
    withoutToken["api_server"] = nil
    guard settings["api_server"] == nil, let connection = try? resolve(withoutToken, environment: environment) else {
      return defaultNamespace
    }
    return connection.namespace
  }
}
