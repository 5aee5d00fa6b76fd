import BerthKit
import BerthModel
import BerthPlan
import BerthState
import BerthTargetACI
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

/// The diabetes-aci example through the whole pipeline (validate, plan, apply with the executor, state) against the
/// ARM double: the resource group and the container group created, a second plan with nothing to do, a container
/// killed outside Berth seen by the next plan and repaired by its apply, the service removed from the manifests
/// deleted — and no secret in plan text, plan JSON, state or progress.
@Suite(.serialized) struct ACIApplyFlowTests {
  static let registryUser = "aci-puller-not-printed"
  static let registryPassword = "aci-pa55-not-printed"

  static func example(double: ARMDouble) throws -> URL {
    let folder = URL(fileURLWithPath: NSTemporaryDirectory() + "berth-aci-flow-\(UUID().uuidString.prefix(8))")
    try FileManager.default.copyItem(at: RepositoryPaths.examples.appendingPathComponent("diabetes-aci"), to: folder)
    try? FileManager.default.removeItem(at: folder.appendingPathComponent(".berth"))
    let manifest = folder.appendingPathComponent("berth.yaml")
    let text = try String(contentsOf: manifest, encoding: .utf8)
      .replacingOccurrences(
        of: "  subscription_id: 00000000-0000-0000-0000-000000000000\n",
        with: "  subscription_id: \(ACISamples.subscription)\n  resource_manager: \(double.url)\n")
    try text.write(to: manifest, atomically: true, encoding: .utf8)
    return folder
  }

  @Test func exampleIsCreatedObservedRepairedAndDeleted() async throws {
    let double = try await ARMDouble(polls: 1)
    defer { Task { await double.stop() } }
    let folder = try Self.example(double: double)
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = InMemoryStateStore()
    let provider = ACITargetProvider(
      environment: double.environment.merging(["ACR_USERNAME": Self.registryUser, "ACR_PASSWORD": Self.registryPassword]) {
        $1
      }, pollInterval: .milliseconds(20))
    let reconciler = Reconciler(
      targets: { _ in
        Targets(providers: [provider], environmentBuilder: FakeEnvironmentBuilder(), imageBuilder: RevisionImageBuilder())
      },
      openState: { _, _ in store })
    let progress = FlowLines()
    var seen: [String] = []
    func planAndApply() async throws -> Plan {
      let (prepared, diagnostics) = try await reconciler.prepare(path: folder.path)
      let context = try #require(prepared, "\(diagnostics)")
      let plan = reconciler.plan(context)
      seen.append(PlanTextRenderer().render(plan))
      seen.append(String(decoding: try PlanJSON.encode(plan), as: UTF8.self))
      if plan.hasChanges {
        let summary = try await reconciler.apply(plan, context: context, parallelism: 2, events: { progress.add("\($0)") })
        #expect(summary.isSuccess, "\(progress.all.joined(separator: "\n"))")
      }
      return plan
    }

    let first = try await planAndApply()
    #expect(first.actions.contains { $0.address == ResourceAddress(.computeTarget, "aci-dev") && $0.kind == .provision })
    let path = ACISamples.path("diabetes-aci")
    let group = try double.control("GET", "resource?path=\(path)")
    let properties = try #require(group["properties"] as? [String: Any])
    #expect((properties["ipAddress"] as? [String: Any])?["dnsNameLabel"] as? String == "diabetes-risk-dev")
    let credential = (properties["imageRegistryCredentials"] as? [[String: Any]])?.first
    #expect(credential?["username"] as? String == Self.registryUser)
    #expect(credential?["password"] as? String == Self.registryPassword)
    var state = try await store.snapshot()
    let outputs = try #require(state.resources[ResourceAddress(.service, "diabetes-aci")]?.outputs)
    #expect(outputs["scoring_uri"] == .string("http://diabetes-risk-dev.westeurope.azurecontainer.io/score"))

    let again = try await planAndApply()
    #expect(!again.hasChanges, "a second plan changes nothing: \(PlanTextRenderer().render(again))")

    // The scoring container is killed outside Berth: the next plan says so and its apply restarts the group.
    try double.control("POST", "crash", body: #"{"path": "\#(path)"}"#)
    let repair = try await planAndApply()
    #expect(repair.actions.contains { $0.address == ResourceAddress(.service, "diabetes-aci") })
    #expect(try double.stats()["aci restart"] == 1)
    #expect(!(try await planAndApply()).hasChanges)

    // The service leaves the manifests: its group is deleted.
    let manifest = folder.appendingPathComponent("berth.yaml")
    let text = try String(contentsOf: manifest, encoding: .utf8)
    let cut = try #require(text.range(of: "---\napiVersion: berth/v1\nkind: Service\n"))
    try String(text[..<cut.lowerBound]).write(to: manifest, atomically: true, encoding: .utf8)
    let removal = try await planAndApply()
    #expect(removal.actions.contains { $0.address == ResourceAddress(.service, "diabetes-aci") && $0.kind == .delete })
    #expect(try double.control("GET", "resource?path=\(path)").isEmpty)

    state = try await store.snapshot()
    let recorded = "\(state.resources)"
    for secret in [Self.registryPassword, Self.registryUser, ARMDouble.clientSecret] {
      #expect(!recorded.contains(secret), "state holds a secret")
      #expect(!seen.contains { $0.contains(secret) }, "a plan shows a secret")
      #expect(!progress.all.contains { $0.contains(secret) }, "progress shows a secret")
    }
  }
}

/// Stands in for the OCI builder: an image in the Workspace registry whose digest follows the revision, with the
/// registry's credential variables (the real builder is tested in BerthImageTests).
struct RevisionImageBuilder: ImageBuilding {
  func build(_ request: ImageBuildRequest) async throws -> ImageBuildResponse {
    let hex = request.deployment.revision.unicodeScalars.map { String($0.value, radix: 16) }.joined()
    let digest = "sha256:" + String((hex + String(repeating: "0", count: 64)).prefix(64))
    let image = ContainerImage(
      reference: "\(request.registry.address)/\(request.repository)@\(digest)", digest: digest,
      registry: request.registry.address, usernameEnv: request.registry.usernameEnv, passwordEnv: request.registry.passwordEnv)
    return ImageBuildResponse(
      image: image, outputs: ["image.reference": .string(image.reference), "image.digest": .string(digest)],
      bytesUploaded: 0, layerBytesUploaded: 0, message: "pushed \(image.reference)")
  }
}

/// Progress lines collected from an apply.
final class FlowLines: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []

  func add(_ line: String) { lock.withLock { lines.append(line) } }
  var all: [String] { lock.withLock { lines } }
}
