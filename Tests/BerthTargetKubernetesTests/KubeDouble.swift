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
  var url: String { "http://127.0.0.1:\(port)" }

  /// Starts the double validating against `kubernetesVersion` (strict), optionally requiring a bearer token.
  init(kubernetesVersion: String = "1.30.0", token: String? = nil, validate: Bool = true) async throws {
    var arguments = [Self.script, "--kube-version", kubernetesVersion]
    if let token { arguments += ["--token", token] }
    if !validate { arguments.append("--no-validate") }
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
