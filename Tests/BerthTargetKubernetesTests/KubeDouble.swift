import BerthModel
import BerthTargetKubernetes
import BerthTesting
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Python test double of the API server (`Double/kube_double.py`), started for one test.
final class KubeDouble: Sendable {
  static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Double/kube_double.py")
    .path

  let child: ChildProcess
  let port: Int
  let scheme: String
  var url: String { "\(scheme)://127.0.0.1:\(port)" }

  /// Starts the double validating against `kubernetesVersion` (strict), optionally requiring a bearer token,
  /// serving HTTPS with `tls` (and requiring client certificates signed by its CA when `requireClientCertificate`).
  init(
    kubernetesVersion: String = "1.30.0", token: String? = nil, validate: Bool = true, tls: TestCertificates? = nil,
    requireClientCertificate: Bool = false
  ) async throws {
    var arguments = [Self.script, "--kube-version", kubernetesVersion]
    if let token { arguments += ["--token", token] }
    if !validate { arguments.append("--no-validate") }
    if let tls {
      arguments += ["--tls-cert", tls.serverCertificate, "--tls-key", tls.serverKey]
      if requireClientCertificate { arguments += ["--client-ca", tls.authorityCertificate] }
    }
    scheme = tls == nil ? "http" : "https"
    child = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3"] + arguments)
    let line = try await child.line(startingWith: "LISTENING ")
    guard let port = Int(line.dropFirst("LISTENING ".count)) else {
      throw ChildFailure(message: "kube double said '\(line)': \(child.errorText())")
    }
    self.port = port
  }

  func stop() async { await child.kill() }

  /// A connection to the double in `namespace`.
  func connection(namespace: String = "ml-prod", token: String? = nil) -> ClusterConnection {
    ClusterConnection(server: url, namespace: namespace, bearerToken: token)
  }

  /// Compute target settings pointing at the double (the token is read from `BERTH_TEST_TOKEN`).
  func settings(namespace: String = "ml-prod") -> [String: FieldValue] {
    ["api_server": .string(url), "token_env": .string("BERTH_TEST_TOKEN"), "namespace": .string(namespace)]
  }

  /// Requests by `METHOD plural[ (list)]`, and `total`.
  func stats() async throws -> [String: Int] {
    let data = try await control("GET", "stats")
    return try JSONDecoder().decode([String: Int].self, from: data)
  }

  func resetStats() async throws { _ = try await control("POST", "reset") }

  /// Makes the rollouts of `namespace/name` entries fail (progress deadline exceeded, events, crashing pod).
  func failRollouts(_ names: [String]) async throws {
    _ = try await control("POST", "fail", body: try JSONEncoder().encode(names))
  }

  /// Makes the next `count` list requests that carry a `continue` token answer 410 Expired.
  func expireContinueTokens(_ count: Int = 1) async throws {
    _ = try await control("POST", "expire-continue", body: Data(String(count).utf8))
  }

  /// Stores objects as they are, with completed rollouts (bulk set-up).
  func seed(_ objects: [JSONValue]) async throws {
    _ = try await control("POST", "seed", body: Data(("[" + objects.map(ObjectOutput.json).joined(separator: ",") + "]").utf8))
  }

  private func control(_ method: String, _ path: String, body: Data? = nil) async throws -> Data {
    var request = URLRequest(url: URL(string: "\(url)/_double/\(path)")!)
    request.httpMethod = method
    request.httpBody = body
    let (data, _) = try await URLSession.shared.data(for: request)
    return data
  }
}

/// A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with the openssl CLI.
struct TestCertificates: Sendable {
  let folder: String
  var authorityCertificate: String { folder + "/ca.crt" }
  var serverCertificate: String { folder + "/server.crt" }
  var serverKey: String { folder + "/server.key" }
  var clientCertificate: String { folder + "/client.crt" }
  var clientKey: String { folder + "/client.key" }

  static func make() async throws -> TestCertificates {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("berth-tls-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let script = """
      set -e
      cd "$1"
      openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=berth-test-ca 2>/dev/null
      printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext
      openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 2>/dev/null
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 1 -extfile san.ext 2>/dev/null
      openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=berth-client 2>/dev/null
      openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 1 2>/dev/null
      """
    let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", script, "sh", folder])
    guard await child.finish() == 0 else { throw ChildFailure(message: "openssl failed: \(child.errorText())") }
    return TestCertificates(folder: folder)
  }

  func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }
}
