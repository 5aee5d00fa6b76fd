import BerthKit
import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import BerthTesting
import Crypto
import Foundation
import Testing

@testable import BerthTargetIoTEdge

/// The example applied through the whole pipeline (plan, KitPerformer, state) against the IoT Hub double:
/// both services in one device manifest, a second plan with no changes, a removed service leaving the manifest,
/// and no secret in plan text, plan JSON, state or progress.
@Suite(.serialized) struct ApplyFlowTests {
  static let environment = IoTHubDouble.environment.merging([
    "FACTORY_HUB_CONNECTION_STRING": IoTHubDouble.connectionString, "ACR_USERNAME": "edge-puller",
    "ACR_PASSWORD": "pa55-never-printed",
  ]) { $1 }

  /// The example pointed at the double: hub `testhub`, requests to its loopback address.
  static func example(double: IoTHubDouble) throws -> URL {
    let folder = try RenderTests.copy()
    let manifest = folder.appendingPathComponent("berth.yaml")
    let text = try String(contentsOf: manifest, encoding: .utf8).replacingOccurrences(
      of: "  iot_hub: factory-hub\n", with: "  iot_hub: \(IoTHubDouble.hub)\n  iot_hub_host: \(double.url)\n")
    try text.write(to: manifest, atomically: true, encoding: .utf8)
    return folder
  }

  @Test func applyComposesTheDeviceManifestAndADeletedServiceLeavesIt() async throws {
    let double = try await IoTHubDouble()
    defer { Task { await double.stop() } }
    let folder = try Self.example(double: double)
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = InMemoryStateStore()
    let provider = IoTEdgeTargetProvider(
      environment: Self.environment, timings: IoTEdgeTimings(pollInterval: .milliseconds(50), waitTimeout: .seconds(10)))
    let reconciler = Reconciler(
      targets: { _ in
        Targets(providers: [provider], environmentBuilder: FakeEnvironmentBuilder(), imageBuilder: DigestImageBuilder())
      },
      openState: { _, _ in store })
    let progress = Lines()

    var seen: [String] = []
    func planAndApply() async throws -> Plan {
      let (prepared, diagnostics) = try await reconciler.prepare(path: folder.path)
      let context = try #require(prepared, "\(diagnostics)")
      let plan = reconciler.plan(context)
      seen.append(PlanTextRenderer().render(plan))
      seen.append(String(decoding: try PlanJSON.encode(plan), as: UTF8.self))
      if plan.hasChanges {
        let summary = try await reconciler.apply(
          plan, context: context, parallelism: 2, events: { progress.add("\($0)") })
        #expect(summary.isSuccess, "\(progress.all.joined(separator: "\n"))")
      }
      return plan
    }

    _ = try await planAndApply()
    var content = try await double.content()
    #expect(
      content.value(at: #"modulesContent["$edgeAgent"]["properties.desired"].modules"#)?.objectMembers.map(\.key).sorted()
        == ["iris-edge", "iris-edge-lite"])
    #expect(
      content.value(at: #"modulesContent["$edgeHub"]["properties.desired"].storeAndForwardConfiguration.timeToLiveSecs"#)
        == .int(86400))

    let again = try await planAndApply()
    #expect(!again.hasChanges, "a second plan changes nothing: \(PlanTextRenderer().render(again))")

    // The lite service leaves the manifests: its module leaves the device's manifest, the other stays.
    let manifest = folder.appendingPathComponent("berth.yaml")
    let text = try String(contentsOf: manifest, encoding: .utf8)
    let cut = try #require(text.range(of: "---\napiVersion: berth/v1\nkind: Service\nmetadata:\n  name: iris-edge-lite"))
    try String(text[..<cut.lowerBound]).write(to: manifest, atomically: true, encoding: .utf8)
    let removal = try await planAndApply()
    #expect(removal.actions.contains { $0.address == ResourceAddress(.service, "iris-edge-lite") && $0.kind == .delete })
    content = try await double.content()
    #expect(
      content.value(at: #"modulesContent["$edgeAgent"]["properties.desired"].modules"#)?.objectMembers.map(\.key)
        == ["iris-edge"])

    let state = try await store.snapshot()
    let recorded = "\(state.resources)"
    #expect(recorded.contains("module_sha256"))
    for secret in Samples.secrets + ["edge-puller"] {
      #expect(!recorded.contains(secret), "state holds a secret")
      #expect(!seen.contains { $0.contains(secret) }, "a plan shows a secret")
      #expect(!progress.all.contains { $0.contains(secret) }, "progress shows a secret")
    }
  }
}

/// Stands in for the OCI builder: an image named by a digest of the revision, in the Workspace registry, with its
/// credential variables.
struct DigestImageBuilder: ImageBuilding {
  func build(_ request: ImageBuildRequest) async throws -> ImageBuildResponse {
    let digest = "sha256:" + SHA256.hash(data: Data(request.deployment.revision.utf8)).map { String(format: "%02x", $0) }.joined()
    let image = ContainerImage(
      reference: "\(request.registry.address)/\(request.repository)@\(digest)", digest: digest,
      registry: request.registry.address, usernameEnv: request.registry.usernameEnv, passwordEnv: request.registry.passwordEnv)
    return ImageBuildResponse(
      image: image, outputs: ["image.reference": .string(image.reference), "image.digest": .string(digest)],
      bytesUploaded: 0, layerBytesUploaded: 0, message: "pushed \(image.reference)")
  }
}
