import BerthTesting
import Foundation
import Testing

@testable import BerthGateway

/// The configuration file: its format, and every problem reported at once.
@Suite struct ConfigurationTests {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

  @Test func documentedExampleDecodesWithDefaults() throws {
    let text = """
      {"endpoint": "risk", "port": 8890, "keys_file": "/run/risk/keys.json",
       "deployments": [{"name": "blue", "upstreams": ["127.0.0.1:43121", "127.0.0.1:43122"],
                        "replica_max_concurrent_requests": 2},
                       {"name": "green", "upstreams": ["127.0.0.1:43123"], "collect_model_data": true}],
       "traffic": {"blue": 90, "green": 10}, "model_data_folder": "/run/risk/data"}
      """
    let configuration = try JSONDecoder().decode(GatewayConfiguration.self, from: Data(text.utf8))
    #expect(configuration.listenAddress == "127.0.0.1")
    #expect(configuration.authMode == .key)
    #expect(configuration.deployments[0].concurrency == 4)
    #expect(configuration.deployments[1].maxRequestWaitTimeMs == 500)
    #expect(configuration.deployments[1].scoringTimeoutMs == 60000)
    #expect(configuration.problems == [])
  }

  @Test func everyProblemIsReportedWithItsField() throws {
    let configuration = GatewayConfiguration(
      endpoint: "risk", port: 70000, authMode: .amlToken,
      deployments: [
        .init(name: "blue", upstreams: ["localhost"], replicaMaxConcurrentRequests: 0),
        .init(name: "green", upstreams: [], scoringTimeoutMs: 0, collectModelData: true),
      ],
      traffic: ["blue": 60, "green": 30, "purple": 5], mirrorTraffic: ["green": 60])
    let text = configuration.problems.joined(separator: "\n") + "\n"
    let mismatch = SnapshotFile.mismatch(text, file: Self.snapshots.appendingPathComponent("configuration-problems.txt"))
    #expect(mismatch == nil, "\(mismatch ?? "")")
  }

  @Test func decodingErrorsNameTheField() throws {
    let folder = NSTemporaryDirectory() + "berth-gateway-config-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/gateway.json"
    try #"{"endpoint": "risk", "port": 1, "deployments": [{"name": "blue", "upstreams": "x"}]}"#
      .write(toFile: path, atomically: true, encoding: .utf8)
    let error = #expect(throws: LoadedConfiguration.Problems.self) { try LoadedConfiguration.load(path: path) }
    #expect(error?.problems == ["\(path): deployments[0].upstreams: expected a list"])
  }

  @Test func missingKeysFileIsAProblemNotACrash() throws {
    let configuration = GatewayConfiguration(
      endpoint: "risk", port: 0, keysFile: "/nonexistent/keys.json",
      deployments: [.init(name: "blue", upstreams: ["127.0.0.1:1"])], traffic: ["blue": 100])
    let error = #expect(throws: LoadedConfiguration.Problems.self) { try LoadedConfiguration.prepare(configuration) }
    #expect(error?.problems == ["/nonexistent/keys.json: No such file or directory"])
  }
}
