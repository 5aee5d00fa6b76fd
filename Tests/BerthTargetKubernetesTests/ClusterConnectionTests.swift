import BerthModel
import Foundation
import Testing

@testable import BerthTargetKubernetes

/// Kubeconfig loading and the two ways a compute target names a cluster.
@Suite struct ClusterConnectionTests {
  static let kubeconfig = """
    apiVersion: v1
    kind: Config
    current-context: dev
    clusters:
    - name: aks-prod
      cluster:
        server: https://aks-prod-dns.hcp.westeurope.azmk8s.io:443
        certificate-authority-data: \(Data("-----BEGIN CERTIFICATE-----\\nCA\\n-----END CERTIFICATE-----\\n".utf8).base64EncodedString())
    - name: dev
      cluster:
        server: https://127.0.0.1:6443
        certificate-authority: ca.crt
    users:
    - name: admin
      user:
        client-certificate-data: \(Data("CERT".utf8).base64EncodedString())
        client-key-data: \(Data("KEY".utf8).base64EncodedString())
    - name: dev-user
      user:
        tokenFile: token.txt
    - name: aad
      user:
        exec:
          apiVersion: client.authentication.k8s.io/v1beta1
          command: kubelogin
    contexts:
    - name: aks-prod
      context: {cluster: aks-prod, user: admin, namespace: ml-prod}
    - name: dev
      context: {cluster: dev, user: dev-user}
    - name: aks-aad
      context: {cluster: aks-prod, user: aad}
    """

  /// A folder with the kubeconfig, its CA file and token file.
  static func folder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("berth-kubeconfig-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try kubeconfig.write(to: folder.appendingPathComponent("config"), atomically: true, encoding: .utf8)
    try "DEV-CA".write(to: folder.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
    try "dev-token\n".write(to: folder.appendingPathComponent("token.txt"), atomically: true, encoding: .utf8)
    return folder
  }

  @Test func namedContextWithClientCertificateData() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let connection = try ClusterConnection.resolve(
      ["kubeconfig": .string(folder.path + "/config"), "context": .string("aks-prod")], environment: [:])
    #expect(connection.server == "https://aks-prod-dns.hcp.westeurope.azmk8s.io:443")
    #expect(connection.namespace == "ml-prod")
    #expect(connection.clientCertificatePEM == "CERT" && connection.clientKeyPEM == "KEY")
    #expect(connection.certificateAuthorityPEM?.contains("BEGIN CERTIFICATE") == true)
    #expect(connection.description == "https://aks-prod-dns.hcp.westeurope.azmk8s.io:443 namespace ml-prod (client certificate)")
  }

  @Test func currentContextWithFilesRelativeToTheKubeconfigAndTheTargetsNamespace() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let connection = try ClusterConnection.resolve(
      ["kubeconfig": .string("~/config"), "namespace": .string("team-a")], environment: [:], home: folder.path)
    #expect(connection.server == "https://127.0.0.1:6443")
    #expect(connection.bearerToken == "dev-token" && connection.certificateAuthorityPEM == "DEV-CA")
    #expect(connection.namespace == "team-a")
    #expect(!connection.description.contains("dev-token"))
  }

  @Test func execPluginsAndUnknownContextsAreClearErrors() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.path + "/config"
    #expect {
      try ClusterConnection.resolve(["kubeconfig": .string(path), "context": .string("aks-aad")], environment: [:])
    } throws: { error in
      "\(error)".contains("exec credential plugin ('kubelogin'), which Berth does not run")
    }
    #expect {
      try ClusterConnection.resolve(["kubeconfig": .string(path), "context": .string("prod")], environment: [:])
    } throws: { error in
      "\(error)" == "kubeconfig '\(path)' has no context 'prod'; it has: aks-aad, aks-prod, dev"
    }
  }

  @Test func apiServerWithTokenFromTheEnvironmentAndCAFile() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let settings: [String: FieldValue] = [
      "api_server": .string("https://10.0.0.1:443/"), "token_env": .string("AKS_TOKEN"),
      "ca_file": .string(folder.path + "/ca.crt"), "namespace": .string("ml-prod"),
    ]
    let connection = try ClusterConnection.resolve(settings, environment: ["AKS_TOKEN": "secret-token"])
    #expect(connection.server == "https://10.0.0.1:443" && connection.bearerToken == "secret-token")
    #expect(connection.certificateAuthorityPEM == "DEV-CA")
    #expect {
      try ClusterConnection.resolve(settings, environment: [:])
    } throws: { error in
      "\(error)" == "environment variable AKS_TOKEN (token_env) is not set or empty"
    }
  }

  @Test func namespaceWithoutCredentials() throws {
    let folder = try Self.folder()
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect(ClusterConnection.namespace(of: ["namespace": .string("x")]) == "x")
    #expect(
      ClusterConnection.namespace(
        of: ["kubeconfig": .string(folder.path + "/config"), "context": .string("aks-prod")], environment: [:]) == "ml-prod")
    #expect(ClusterConnection.namespace(of: ["kubeconfig": .string("/nonexistent")], environment: [:]) == "default")
  }
}
