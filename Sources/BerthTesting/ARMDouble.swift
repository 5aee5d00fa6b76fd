import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Python double of Azure AD, IMDS and Resource Manager (`Tests/BerthAzureTests/Double/arm_double.py`, with
/// container groups in `container_instances.py`), started for one test.
public final class ARMDouble: Sendable {
  public static let script = RepositoryPaths.root.appendingPathComponent("Tests/BerthAzureTests/Double/arm_double.py").path
  public static let tenant = "7f1c1a8e-tenant"
  public static let clientID = "berth-ci"
  public static let clientSecret = "s3cret-value-never-printed"

  let child: ChildProcess
  public let port: Int
  public var url: String { "http://127.0.0.1:\(port)" }

  /// The variables a client-secret login against this double needs (Azure AD moved to the double).
  public var environment: [String: String] {
    [
      "AZURE_AUTHORITY_HOST": url, "AZURE_TENANT_ID": Self.tenant, "AZURE_CLIENT_ID": Self.clientID,
      "AZURE_CLIENT_SECRET": Self.clientSecret, "PATH": "/nonexistent",
    ]
  }

  public init(polls: Int = 2) async throws {
    child = try ChildProcess(
      executable: "/usr/bin/env",
      arguments: [
        "python3", Self.script, "--tenant", Self.tenant, "--client-id", Self.clientID, "--client-secret",
        Self.clientSecret, "--polls", String(polls),
      ])
    let line = try await child.line(startingWith: "LISTENING ")
    guard let port = Int(line.dropFirst("LISTENING ".count)) else {
      throw ChildFailure(message: "arm double said '\(line)': \(child.errorText())")
    }
    self.port = port
  }

  public func stop() async { await child.kill() }

  @discardableResult public func control(_ method: String, _ path: String, body: String? = nil) throws -> [String: Any] {
    var request = URLRequest(url: URL(string: url + "/_double/" + path)!)
    request.httpMethod = method
    request.httpBody = body.map { Data($0.utf8) }
    let semaphore = DispatchSemaphore(value: 0)
    nonisolated(unsafe) var result: Data?
    URLSession.shared.dataTask(with: request) { data, _, _ in
      result = data
      semaphore.signal()
    }.resume()
    semaphore.wait()
    return (try? JSONSerialization.jsonObject(with: result ?? Data())) as? [String: Any] ?? [:]
  }

  public func stats() throws -> [String: Int] { (try control("GET", "stats") as? [String: Int]) ?? [:] }
  public func inject(status: Int, count: Int, code: String = "Throttled", retryAfter: String? = "0") throws {
    var fault: [String: Any] = ["status": status, "count": count, "code": code]
    if let retryAfter { fault["retry_after"] = retryAfter }
    let data = try JSONSerialization.data(withJSONObject: fault)
    _ = try control("POST", "fail", body: String(decoding: data, as: UTF8.self))
  }
}
