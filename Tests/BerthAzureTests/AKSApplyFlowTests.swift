import BerthKit
import BerthModel
import BerthPlan
import BerthState
import BerthTargetAKS
import BerthTargetAPI
import BerthTargetKubernetes
import BerthTesting
import Foundation
import Testing

/// The diabetes-aks example through validate, plan, apply and state, with the cluster created on the ARM double and
/// the service deployed into the Kubernetes double behind it: a second plan with nothing to do, a cluster scaled
/// outside Berth planned back, a new region blocked by `prevent_destroy` and then a replace, and the cluster deleted
/// with its service when both leave the manifests — no secret in plans, state or progress.
@Suite(.serialized) struct AKSApplyFlowTests {
  static let registryUser = "aks-puller-not-printed"
  static let registryPassword = "aks-pa55-not-printed"
  static let address = ResourceAddress(.computeTarget, "aks-risk")

  static func clusterPath(_ name: String = "aks-risk") -> String {
    "/subscriptions/\(ACISamples.subscription)/resourceGroups/ml-risk/providers/Microsoft.ContainerService/managedClusters/\(name)"
  }

  @Test func exampleClusterIsCreatedScaledBackReplacedAndDeleted() async throws {
    let doubles = try await AKSClusterTests.Doubles.start(polls: 1)
    defer { Task { await doubles.stop() } }
    let folder = URL(fileURLWithPath: NSTemporaryDirectory() + "berth-aks-flow-\(UUID().uuidString.prefix(8))")
    try FileManager.default.copyItem(at: RepositoryPaths.examples.appendingPathComponent("diabetes-aks"), to: folder)
    defer { try? FileManager.default.removeItem(at: folder) }
    let manifest = folder.appendingPathComponent("berth.yaml")
    func edit(_ from: String, _ to: String) throws {
      let text = try String(contentsOf: manifest, encoding: .utf8)
      #expect(text.contains(from), "the example no longer has '\(from)'")
      try text.replacingOccurrences(of: from, with: to).write(to: manifest, atomically: true, encoding: .utf8)
    }
    try edit(
      "  subscription_id: 00000000-0000-0000-0000-000000000000\n",
      "  subscription_id: \(ACISamples.subscription)\n  resource_manager: \(doubles.arm.url)\n")

    let environment = doubles.arm.environment.merging([
      "ACR_USERNAME": Self.registryUser, "ACR_PASSWORD": Self.registryPassword,
    ]) { $1 }
    let provider = KubernetesTargetProvider(
      environment: environment,
      timings: KubernetesTimings(pollInterval: .milliseconds(20), rolloutSlack: .seconds(5), deleteTimeout: .seconds(10)),
      clusters: AKSClusters(environment: environment, pollInterval: .milliseconds(20)))
    let store = InMemoryStateStore()
    let reconciler = Reconciler(
      targets: { _ in
        Targets(providers: [provider], environmentBuilder: FakeEnvironmentBuilder(), imageBuilder: RevisionImageBuilder())
      },
      openState: { _, _ in store })
    let progress = FlowLines()
    var seen: [String] = []
    func plan() async throws -> (Plan, Reconciler.Context) {
      let (prepared, diagnostics) = try await reconciler.prepare(path: folder.path)
      let context = try #require(prepared, "\(diagnostics)")
      let plan = reconciler.plan(context)
      seen.append(PlanTextRenderer().render(plan))
      seen.append(String(decoding: try PlanJSON.encode(plan), as: UTF8.self))
      return (plan, context)
    }
    func planAndApply() async throws -> Plan {
      let (plan, context) = try await plan()
      if plan.hasChanges {
        let summary = try await reconciler.apply(plan, context: context, parallelism: 2, events: { progress.add("\($0)") })
        #expect(summary.isSuccess, "\(progress.all.joined(separator: "\n"))")
      }
      return plan
    }

    let first = try await planAndApply()
    #expect(first.action(for: Self.address)?.kind == .provision)
    #expect(try doubles.kubeObjects().contains("Deployment risk/diabetes-aks"))
    let state = try await store.snapshot()
    #expect(state.resources[Self.address]?.outputs["resource_id"] == .string(Self.clusterPath()))
    #expect(!(try await planAndApply()).hasChanges, "a second plan changes nothing")

    // Someone scales the cluster in the portal: the plan says so and its apply scales it back.
    try doubles.arm.control("POST", "aks", body: #"{"scale": {"path": "\#(Self.clusterPath())", "count": 5}}"#)
    let repair = try await planAndApply()
    #expect(
      repair.action(for: Self.address)?.reason
        == "changed outside Berth (agent_count 5 on Azure, 3 declared); provision restores the declared settings")
    #expect(!(try await planAndApply()).hasChanges)

    // A new region is a new cluster: prevent_destroy stops the plan; without it the cluster is replaced.
    try edit("  location: westeurope\n", "  location: northeurope\n")
    let (blocked, _) = try await plan()
    #expect(blocked.action(for: Self.address)?.kind == .replace)
    #expect(blocked.diagnostics.contains { $0.severity == .error && $0.message.contains("prevent_destroy") })
    try edit("lifecycle:\n  prevent_destroy: true\n", "")
    let armPutsBefore = try doubles.arm.stats()["aks put"] ?? 0
    let replaced = try await planAndApply()
    #expect(replaced.action(for: Self.address)?.kind == .replace)
    #expect(progress.all.contains { $0.contains("deleting AKS cluster aks-risk") })
    #expect(try doubles.arm.stats()["aks put"] == armPutsBefore + 1)
    let moved = try doubles.arm.control("GET", "resource?path=\(Self.clusterPath())")
    #expect(moved["location"] as? String == "northeurope")

    // The cluster and its service leave the manifests: the service is deleted first, then the cluster.
    let text = try String(contentsOf: manifest, encoding: .utf8)
    let cut = try #require(text.range(of: "---\napiVersion: berth/v1\nkind: ComputeTarget\n"))
    try String(text[..<cut.lowerBound]).write(to: manifest, atomically: true, encoding: .utf8)
    let removal = try await planAndApply()
    #expect(removal.action(for: Self.address)?.kind == .delete)
    #expect(try doubles.arm.control("GET", "resource?path=\(Self.clusterPath())").isEmpty)
    #expect(!(try doubles.kubeObjects().contains("Deployment risk/diabetes-aks")))

    let recorded = "\(try await store.snapshot().resources)"
    for secret in [Self.registryPassword, AKSClusterTests.kubeToken, ARMDouble.clientSecret] {
      #expect(!recorded.contains(secret), "state holds a secret")
      #expect(!seen.contains { $0.contains(secret) }, "a plan shows a secret")
      #expect(!progress.all.contains { $0.contains(secret) }, "progress shows a secret")
    }
  }

  @Test func aFailedOperationAndThrottlingAreRecordedHonestlyInState() async throws {
    let doubles = try await AKSClusterTests.Doubles.start(polls: 1)
    defer { Task { await doubles.stop() } }
    let folder = URL(fileURLWithPath: NSTemporaryDirectory() + "berth-aks-fail-\(UUID().uuidString.prefix(8))")
    try FileManager.default.copyItem(at: RepositoryPaths.examples.appendingPathComponent("diabetes-aks"), to: folder)
    defer { try? FileManager.default.removeItem(at: folder) }
    let manifest = folder.appendingPathComponent("berth.yaml")
    try String(contentsOf: manifest, encoding: .utf8)
      .replacingOccurrences(
        of: "  subscription_id: 00000000-0000-0000-0000-000000000000\n",
        with: "  subscription_id: \(ACISamples.subscription)\n  resource_manager: \(doubles.arm.url)\n"
      ).write(to: manifest, atomically: true, encoding: .utf8)
    let environment = doubles.arm.environment.merging(["ACR_USERNAME": "u", "ACR_PASSWORD": "p"]) { $1 }
    let provider = KubernetesTargetProvider(
      environment: environment,
      timings: KubernetesTimings(pollInterval: .milliseconds(20), rolloutSlack: .seconds(5), deleteTimeout: .seconds(10)),
      clusters: AKSClusters(environment: environment, pollInterval: .milliseconds(20)))
    let store = InMemoryStateStore()
    let reconciler = Reconciler(
      targets: { _ in
        Targets(providers: [provider], environmentBuilder: FakeEnvironmentBuilder(), imageBuilder: RevisionImageBuilder())
      },
      openState: { _, _ in store })

    // ARM accepts the cluster's PUT, and its operation ends Failed: the apply fails with ARM's code, the cluster is
    // not recorded as provisioned, and the service that needed it is skipped, not attempted.
    try doubles.arm.control("POST", "aks", body: #"{"failing": true}"#)
    let (prepared, diagnostics) = try await reconciler.prepare(path: folder.path)
    let context = try #require(prepared, "\(diagnostics)")
    let failed = try await reconciler.apply(reconciler.plan(context), context: context, parallelism: 2, events: { _ in })
    #expect(!failed.isSuccess)
    var state = try await store.snapshot()
    #expect(state.resources[Self.address] == nil)
    let history = try await store.history(limit: 1)
    #expect(history.first?.result == "failed")
    let clusterAction = history.first?.actions.first { $0.address == Self.address }
    #expect(clusterAction?.outcome == .failed)
    #expect(clusterAction?.message.contains("QuotaExceeded") == true, "\(clusterAction?.message ?? "")")
    #expect(history.first?.actions.first { $0.address.kind == .service }?.outcome == .skipped)

    // The next apply meets throttling on the way (429s, waited out) and finishes what the first could not.
    try doubles.arm.inject(status: 429, count: 3, retryAfter: "0")
    let (again, _) = try await reconciler.prepare(path: folder.path)
    let retryContext = try #require(again)
    let retry = reconciler.plan(retryContext)
    #expect(retry.action(for: Self.address)?.kind == .provision)
    let succeeded = try await reconciler.apply(retry, context: retryContext, parallelism: 2, events: { _ in })
    #expect(succeeded.isSuccess)
    #expect(try doubles.arm.stats()["fault 429"] == 3)
    state = try await store.snapshot()
    #expect(state.resources[Self.address]?.outputs["resource_id"] == .string(Self.clusterPath()))
    #expect(try await store.history(limit: 1).first?.result == "succeeded")
  }
}
