import Foundation
import Yams

/// The parts of a kubeconfig file Berth uses: clusters, users and contexts, and the current context.
public struct Kubeconfig: Sendable {
  struct Cluster: Sendable {
    var server: String
    var certificateAuthority: String?
    var certificateAuthorityData: String?
    var insecureSkipTLSVerify: Bool
  }

  struct User: Sendable {
    var token: String?
    var tokenFile: String?
    var clientCertificate: String?
    var clientCertificateData: String?
    var clientKey: String?
    var clientKeyData: String?
    /// Set when the user authenticates through an `exec` plugin or an `auth-provider`, which Berth does not run.
    var unsupported: String?
  }

  struct Context: Sendable {
    var cluster: String
    var user: String
    var namespace: String?
  }

  var clusters: [String: Cluster]
  var users: [String: User]
  var contexts: [String: Context]
  var currentContext: String?
  /// Where the file was read from, for messages.
  var path: String

  /// Reads and parses a kubeconfig file.
  public static func load(path: String) throws -> Kubeconfig {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw KubernetesError.configuration("cannot read kubeconfig '\(path)'")
    }
    return try parse(String(decoding: data, as: UTF8.self), path: path)
  }

  /// Parses kubeconfig text.
  public static func parse(_ text: String, path: String) throws -> Kubeconfig {
    let root: Any?
    do {
      root = try Yams.load(yaml: text)
    } catch {
      throw KubernetesError.configuration("kubeconfig '\(path)' is not valid YAML: \(error)")
    }
    guard let document = root as? [String: Any] else {
      throw KubernetesError.configuration("kubeconfig '\(path)' is not a mapping")
    }
    func named(_ key: String, _ inner: String) -> [String: [String: Any]] {
      var result: [String: [String: Any]] = [:]
      for entry in document[key] as? [[String: Any]] ?? [] {
        if let name = entry["name"] as? String { result[name] = entry[inner] as? [String: Any] ?? [:] }
      }
      return result
    }
    var clusters: [String: Cluster] = [:]
    for (name, cluster) in named("clusters", "cluster") {
      clusters[name] = Cluster(
        server: cluster["server"] as? String ?? "", certificateAuthority: cluster["certificate-authority"] as? String,
        certificateAuthorityData: cluster["certificate-authority-data"] as? String,
        insecureSkipTLSVerify: cluster["insecure-skip-tls-verify"] as? Bool ?? false)
    }
    var users: [String: User] = [:]
    for (name, user) in named("users", "user") {
      var unsupported: String?
      if let exec = user["exec"] as? [String: Any] {
        unsupported = "an exec credential plugin ('\(exec["command"] as? String ?? "?")')"
      } else if let provider = user["auth-provider"] as? [String: Any] {
        unsupported = "the auth provider '\(provider["name"] as? String ?? "?")'"
      }
      users[name] = User(
        token: user["token"] as? String, tokenFile: user["tokenFile"] as? String,
        clientCertificate: user["client-certificate"] as? String,
        clientCertificateData: user["client-certificate-data"] as? String, clientKey: user["client-key"] as? String,
        clientKeyData: user["client-key-data"] as? String, unsupported: unsupported)
    }
    var contexts: [String: Context] = [:]
    for (name, context) in named("contexts", "context") {
      contexts[name] = Context(
        cluster: context["cluster"] as? String ?? "", user: context["user"] as? String ?? "",
        namespace: context["namespace"] as? String)
    }
    return Kubeconfig(
      clusters: clusters, users: users, contexts: contexts, currentContext: document["current-context"] as? String, path: path)
  }

  /// The connection of `context` (or the current context); relative file paths resolve against `baseDirectory`.
  public func connection(context name: String?, baseDirectory: String) throws -> ClusterConnection {
    guard let contextName = name ?? currentContext, !contextName.isEmpty else {
      throw KubernetesError.configuration("kubeconfig '\(path)' has no current-context; set 'context' on the compute target")
    }
    guard let context = contexts[contextName] else {
      let known = contexts.keys.sorted().joined(separator: ", ")
      throw KubernetesError.configuration(
        "kubeconfig '\(path)' has no context '\(contextName)'\(known.isEmpty ? "" : "; it has: \(known)")")
    }
    guard let cluster = clusters[context.cluster], !cluster.server.isEmpty else {
      throw KubernetesError.configuration(
        "kubeconfig '\(path)': context '\(contextName)' names cluster '\(context.cluster)', which has no server")
    }
    guard let user = users[context.user] ?? (context.user.isEmpty ? User() : nil) else {
      throw KubernetesError.configuration("kubeconfig '\(path)': context '\(contextName)' names unknown user '\(context.user)'")
    }
    if let unsupported = user.unsupported {
      throw KubernetesError.configuration(
        "kubeconfig '\(path)': user '\(context.user)' authenticates through \(unsupported), which Berth does not run; "
          + "use a kubeconfig with a token or client certificate (for AKS: `az aks get-credentials --admin`, or `kubelogin convert-kubeconfig -l azurecli` and a service account token), or set api_server + token_env"
      )
    }
    func file(_ path: String) throws -> String {
      let full = path.hasPrefix("/") ? path : baseDirectory + "/" + path
      guard let data = FileManager.default.contents(atPath: full) else {
        throw KubernetesError.configuration("kubeconfig '\(self.path)': cannot read '\(full)'")
      }
      return String(decoding: data, as: UTF8.self)
    }
    func decoded(_ base64: String, _ what: String) throws -> String {
      guard let data = Data(base64Encoded: base64.filter { !$0.isWhitespace }) else {
        throw KubernetesError.configuration("kubeconfig '\(path)': \(what) is not valid base64")
      }
      return String(decoding: data, as: UTF8.self)
    }
    let authority =
      try cluster.certificateAuthorityData.map { try decoded($0, "certificate-authority-data") }
      ?? cluster.certificateAuthority.map(file)
    let token = try user.token ?? user.tokenFile.map { try file($0).trimmingCharacters(in: .whitespacesAndNewlines) }
    let certificate =
      try user.clientCertificateData.map { try decoded($0, "client-certificate-data") } ?? user.clientCertificate.map(file)
    let key = try user.clientKeyData.map { try decoded($0, "client-key-data") } ?? user.clientKey.map(file)
    return ClusterConnection(
      server: cluster.server, namespace: context.namespace ?? ClusterConnection.defaultNamespace, bearerToken: token,
      certificateAuthorityPEM: authority, clientCertificatePEM: certificate, clientKeyPEM: key,
      insecureSkipTLSVerify: cluster.insecureSkipTLSVerify)
  }
}
