import BerthModel
import BerthTesting
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Python double of IoT Hub's service REST API (`Double/iothub_double.py`), started for one test.
final class IoTHubDouble: Sendable {
  static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
    "Double/iothub_double.py"
  ).path
  static let hub = "testhub"
  static let policy = "iothubowner"
  /// A made-up policy key (base64 of 32 bytes), never a real one.
  static let key = Data((0..<32).map { UInt8($0 * 7 % 251) }).base64EncodedString()
  static let connectionString = "HostName=\(hub).azure-devices.net;SharedAccessKeyName=\(policy);SharedAccessKey=\(key)"
  static let device = "edge-01"

  let child: ChildProcess
  let port: Int
  var url: String { "http://127.0.0.1:\(port)" }

  init(devices: [String] = [IoTHubDouble.device], reportAfter: Int = 0, omitModuleVersion: Bool = false) async throws {
    var arguments = [Self.script, "--hub", Self.hub, "--policy", Self.policy, "--key", Self.key]
    for device in devices { arguments += ["--device", device] }
    arguments += ["--report-after", String(reportAfter)]
    if omitModuleVersion { arguments.append("--omit-module-version") }
    child = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3"] + arguments)
    let line = try await child.line(startingWith: "LISTENING ")
    guard let port = Int(line.dropFirst("LISTENING ".count)) else {
      throw ChildFailure(message: "iothub double said '\(line)': \(child.errorText())")
    }
    self.port = port
  }

  func stop() async { await child.kill() }

  /// Compute target settings pointing at the double; the connection string is read from `IOTHUB_TEST_CONNECTION`.
  var settings: [String: FieldValue] {
    [
      "iot_hub": .string(Self.hub), "connection_string_env": .string("IOTHUB_TEST_CONNECTION"),
      "iot_hub_host": .string(url),
    ]
  }

  static let environment = [
    "IOTHUB_TEST_CONNECTION": connectionString, "REG_USER": "edge-puller", "REG_PASSWORD": "pa55-never-printed",
  ]

  /// Makes module `name` crash on the device: runtimeStatus backoff with `exitCode`.
  func fail(module name: String, exitCode: Int, description: String) async throws {
    let body = try JSONSerialization.data(withJSONObject: ["module": name, "exitCode": exitCode, "description": description])
    _ = try await control("POST", "fail", body: body)
  }

  /// The content last applied to `device` (with its secrets: the double's own view).
  func content(_ device: String = IoTHubDouble.device) async throws -> JSONValue {
    try JSONValue.parse(try await control("GET", "content/\(device)"))
  }

  func stats() async throws -> [String: Int] {
    (try JSONSerialization.jsonObject(with: try await control("GET", "stats")) as? [String: Int]) ?? [:]
  }

  private func control(_ method: String, _ path: String, body: Data? = nil) async throws -> Data {
    var request = URLRequest(url: URL(string: "\(url)/_double/\(path)")!)
    request.httpMethod = method
    request.httpBody = body
    let (data, _) = try await URLSession.shared.data(for: request)
    return data
  }
}
