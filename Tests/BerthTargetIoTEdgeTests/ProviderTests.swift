import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

@testable import BerthTargetIoTEdge

/// The provider against the IoT Hub double: composition on one device, routes, failures, secrets.
@Suite(.serialized) struct ProviderTests {
  static func deploy(_ provider: IoTEdgeTargetProvider, _ deployment: ServiceDeployment) async throws -> Attributes {
    try await provider.apply(ApplyRequest(operation: .deploy(deployment))).outputs
  }

  @Test func twoServicesOfOneDeviceShareItsManifestAndADeleteKeepsTheOther() async throws {
    let double = try await IoTHubDouble()
    defer { Task { await double.stop() } }
    let provider = Samples.provider()
    let route = "FROM /messages/modules/scorer-a/outputs/* INTO $upstream"
    let a = try await Self.deploy(
      provider, Samples.deployment("scorer-a", settings: ["routes.upstream": .string(route)], target: double.settings))
    let b = try await Self.deploy(provider, Samples.deployment("scorer-b", target: double.settings, image: Samples.image("0b")))
    var content = try await double.content()
    let modules = content.value(at: #"modulesContent["$edgeAgent"]["properties.desired"].modules"#)
    #expect(modules?.objectMembers.map(\.key).sorted() == ["scorer-a", "scorer-b"])
    #expect(content.value(at: #"modulesContent["$edgeHub"]["properties.desired"].routes.scorer-a_upstream"#) == .string(route))
    // The device's credentials reach the hub (and only the hub).
    #expect(
      content.value(
        at:
          #"modulesContent["$edgeAgent"]["properties.desired"].runtime.settings.registryCredentials["registry-example-com"].password"#
      )
        == .string("pa55-never-printed"))

    let observed = try await provider.observe(
      ObserveRequest(
        computeTargetName: "factory-hub", computeTarget: ComputeTargetSpec(type: .iotedge, settings: double.settings),
        services: [ObservedService(name: "scorer-a", recordedOutputs: a), ObservedService(name: "scorer-b", recordedOutputs: b)]))
    #expect(observed.services["scorer-a"]?.health == .healthy)
    #expect(observed.services["scorer-b"]?.revision == "rev000000001")
    #expect(observed.backendCalls == 1, "one twin read per device")

    _ = try await provider.apply(ApplyRequest(operation: .delete(name: "scorer-a", previous: a)))
    content = try await double.content()
    #expect(
      content.value(at: #"modulesContent["$edgeAgent"]["properties.desired"].modules"#)?.objectMembers.map(\.key) == ["scorer-b"])
    #expect(content.value(at: #"modulesContent["$edgeHub"]["properties.desired"].routes"#)?.objectMembers.isEmpty == true)
  }

  @Test func secretsStayOutOfOutputsObservationsAndErrors() async throws {
    let double = try await IoTHubDouble()
    defer { Task { await double.stop() } }
    let provider = Samples.provider()
    let outputs = try await Self.deploy(provider, Samples.deployment(target: double.settings))
    let observed = try await provider.observe(
      ObserveRequest(
        computeTargetName: "factory-hub", computeTarget: ComputeTargetSpec(type: .iotedge, settings: double.settings),
        services: [ObservedService(name: "iris-edge", recordedOutputs: outputs)]))
    let recorded = "\(outputs) \(observed.services)"
    for secret in Samples.secrets { #expect(!recorded.contains(secret)) }
    #expect(outputs["target.connection_string_env"] == .string("IOTHUB_TEST_CONNECTION"))

    // A wrong key: the hub refuses the signature; the error says so without the key or the token.
    let wrongKey = Data(repeating: 9, count: 32).base64EncodedString()
    let wrong = Samples.provider(environment: [
      "IOTHUB_TEST_CONNECTION": "HostName=testhub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=\(wrongKey)",
      "REG_USER": "u", "REG_PASSWORD": "pa55-never-printed",
    ])
    let error = try await #require(throws: TargetError.self) {
      try await Self.deploy(wrong, Samples.deployment(target: double.settings))
    }
    #expect(error.message.contains("401") && error.message.contains("signature"), "\(error.message)")
    for secret in Samples.secrets + [wrongKey, "SharedAccessSignature"] { #expect(!error.message.contains(secret)) }
    #expect(try await double.stats()["unauthorized"] == 1)
  }

  /// With and without the module's `version` in the device's report.
  @Test(arguments: [false, true])
  func aCrashingModuleFailsTheDeployWithItsExitCodeAndIsObservedDegraded(_ omitVersion: Bool) async throws {
    let double = try await IoTHubDouble(omitModuleVersion: omitVersion)
    defer { Task { await double.stop() } }
    let provider = Samples.provider()
    try await double.fail(module: "iris-edge", exitCode: 137, description: "OOMKilled")
    let deployment = Samples.deployment(target: double.settings)
    let error = try await #require(throws: TargetError.self) { try await Self.deploy(provider, deployment) }
    #expect(error.message.contains("runtimeStatus backoff") && error.message.contains("exit code 137"), "\(error.message)")
    #expect(error.message.contains("OOMKilled"))
    let observed = try await provider.observe(
      ObserveRequest(
        computeTargetName: "factory-hub", computeTarget: ComputeTargetSpec(type: .iotedge, settings: double.settings),
        services: [ObservedService(name: "iris-edge", recordedOutputs: ["device_id": .string("edge-01")])]))
    #expect(observed.services["iris-edge"]?.health == .degraded)
    #expect(observed.services["iris-edge"]?.attributes["exit_code"] == .int(137))
    #expect(observed.services["iris-edge"]?.attributes["runtime_status"] == .string("backoff"))
  }

  @Test func applyWaitsForTheDeviceToReportTheDesiredVersion() async throws {
    let double = try await IoTHubDouble(reportAfter: 3)
    defer { Task { await double.stop() } }
    let provider = Samples.provider()
    let lines = Lines()
    let outputs = try await provider.apply(
      ApplyRequest(operation: .deploy(Samples.deployment(target: double.settings)), progress: { lines.add($0) })
    ).outputs
    #expect(outputs["desired_version"] == .int(2))
    #expect(try await double.stats()["twin"] ?? 0 >= 5, "read until the device reported")
    #expect(lines.all.contains { $0.contains("deployment manifest applied") })
  }

  @Test func anUnknownDeviceIsAClearErrorAndObservedMissing() async throws {
    let double = try await IoTHubDouble()
    defer { Task { await double.stop() } }
    let provider = Samples.provider()
    let deployment = Samples.deployment(settings: ["device_id": .string("no-such-device")], target: double.settings)
    let error = try await #require(throws: TargetError.self) { try await Self.deploy(provider, deployment) }
    #expect(error.message.contains("'no-such-device' is not an IoT Edge device of testhub.azure-devices.net"))
    let observed = try await provider.observe(
      ObserveRequest(
        computeTargetName: "factory-hub", computeTarget: ComputeTargetSpec(type: .iotedge, settings: double.settings),
        services: [ObservedService(name: "x", recordedOutputs: ["device_id": .string("no-such-device")])]))
    #expect(observed.services["x"]?.health == .missing)
  }

  @Test func validateAsksForADeviceAndRefusesPlainHTTPElsewhere() throws {
    let provider = Samples.provider()
    let service = Resource(
      address: ResourceAddress(.service, "s"),
      spec: .service(ServiceSpec(computeTarget: "hub", models: [], inferenceConfig: "c", deployment: [:])),
      location: SourceLocation(file: "berth.yaml", line: 1, column: 1), baseDirectory: "/")
    let diagnostics = provider.validate(
      ValidateRequest(
        service: service,
        computeTarget: ComputeTargetSpec(type: .iotedge, settings: ["iot_hub_host": .string("http://10.1.2.3")])))
    #expect(diagnostics.count == 2)
    #expect(diagnostics.allSatisfy { $0.severity == .error })
    #expect(diagnostics[0].message.contains("names no device"))
    let unset = Samples.provider(environment: [:]).validate(
      ValidateRequest(
        service: service,
        computeTarget: ComputeTargetSpec(type: .iotedge, settings: ["connection_string_env": .string("HUB_CS")])))
    #expect(unset.last?.severity == .warning)
    #expect(unset.last?.message.contains("$HUB_CS is not set") == true, "\(unset)")
  }
}

/// Progress lines collected from a `@Sendable` sink.
final class Lines: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  func add(_ line: String) { lock.withLock { lines.append(line) } }
  var all: [String] { lock.withLock { lines } }
}

/// A service whose `device_id` changes moves: its module joins the new device's manifest and leaves the old one's.
@Suite struct DeviceMoveTests {
  @Test func anUpdateToAnotherDeviceRemovesTheModuleFromTheOldOne() async throws {
    let double = try await IoTHubDouble(devices: ["edge-01", "edge-02"])
    defer { Task { await double.stop() } }
    let provider = Samples.provider()
    let route = "FROM /messages/modules/iris-edge/outputs/* INTO $upstream"
    let first = try await ProviderTests.deploy(
      provider, Samples.deployment(settings: ["routes.up": .string(route)], target: double.settings))
    let moved = Samples.deployment(
      settings: ["device_id": .string("edge-02"), "routes.up": .string(route)], target: double.settings,
      revision: "rev000000002")
    let outputs = try await provider.apply(ApplyRequest(operation: .update(moved, previous: first))).outputs
    #expect(outputs["device_id"] == .string("edge-02"))
    let old = try await double.content("edge-01")
    let new = try await double.content("edge-02")
    #expect(old.value(at: #"modulesContent["$edgeAgent"]["properties.desired"].modules"#)?.objectMembers.isEmpty == true)
    #expect(old.value(at: #"modulesContent["$edgeHub"]["properties.desired"].routes"#)?.objectMembers.isEmpty == true)
    #expect(
      new.value(at: #"modulesContent["$edgeAgent"]["properties.desired"].modules"#)?.objectMembers.map(\.key) == ["iris-edge"])
    #expect(new.value(at: #"modulesContent["$edgeHub"]["properties.desired"].routes.iris-edge_up"#) == .string(route))
  }
}
