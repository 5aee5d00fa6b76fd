import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

/// Plans for the usual changes, checked against golden text and JSON under Snapshots/.
@Suite struct PlannerTests {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

  func expectGolden(_ plan: Plan, _ name: String) throws {
    let text = SnapshotFile.mismatch(PlanTextRenderer().render(plan), file: Self.snapshots.appendingPathComponent("\(name).txt"))
    #expect(text == nil, "\(text ?? "")")
    let json = SnapshotFile.mismatch(
      String(decoding: try PlanJSON.encode(plan), as: UTF8.self), file: Self.snapshots.appendingPathComponent("\(name).json"))
    #expect(json == nil, "\(json ?? "")")
  }

  @Test func emptyStateCreatesEverythingInDependencyOrder() throws {
    let plan = PlanScenario.diabetes().plan()
    let order = plan.actions.map(\.address.description)
    #expect(order.firstIndex(of: "environment/sklearn-env")! < order.firstIndex(of: "inferenceconfig/diabetes-scoring")!)
    #expect(order.last == "service/diabetes-local")
    #expect(plan.action(for: ResourceAddress(.environment, "sklearn-env"))?.kind == .build)
    #expect(plan.action(for: ResourceAddress(.model, "diabetes-ridge"))?.attributes["version"] == .int(1))
    #expect(plan.action(for: ResourceAddress(.service, "diabetes-local"))?.dependsOn.count == 3)
    try expectGolden(plan, "create")
  }

  @Test func nothingChangesAfterApply() async throws {
    let scenario = PlanScenario.diabetes()
    let state = await PlanScenario.applied(scenario.plan(), to: StateSnapshot())
    let plan = scenario.plan(state: state)
    #expect(plan.actions.isEmpty)
    #expect(plan.unchanged.count == 6)
    try expectGolden(plan, "noop")
  }

  @Test func newModelBytesRegisterTheNextVersionAndUpdateTheService() async throws {
    var scenario = PlanScenario.diabetes()
    let state = await PlanScenario.applied(scenario.plan(), to: StateSnapshot())
    scenario.digests[ResourceAddress(.model, "diabetes-ridge")] = String(repeating: "9f3c", count: 16)
    let plan = scenario.plan(state: state)
    #expect(plan.actions.map(\.kind) == [.register, .update])
    #expect(plan.actions[0].attributes["version"] == .int(2))
    #expect(plan.actions[1].reason == "model diabetes-ridge version 1 → 2")
    try expectGolden(plan, "update-model")
  }

  @Test func sameBytesAgainPlanNothing() async throws {
    let state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    // A fresh scenario computes its digests anew: the same bytes must not register a second version.
    let again = PlanScenario.diabetes().plan(state: state)
    #expect(again.actions.isEmpty, "\(again.actions.map(\.address))")
    let reapplied = await PlanScenario.applied(again, to: state)
    #expect(reapplied.modelVersions["diabetes-ridge"]?.count == 1)
    #expect(reapplied.serial == state.serial)
  }

  @Test func settingChangeUpdatesInPlace() async throws {
    let state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    let plan = PlanScenario.diabetes(workers: 2).plan(state: state)
    #expect(plan.actions.map(\.kind) == [.update])
    #expect(plan.actions[0].changes.map(\.path) == ["deployment.worker_count", "revision"])
  }

  @Test func portChangeReplaces() async throws {
    let state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    let plan = PlanScenario.diabetes(port: 8891).plan(state: state)
    #expect(plan.actions.map(\.kind) == [.replace])
    try expectGolden(plan, "replace")
  }

  @Test func preventDestroyBlocksAReplacement() async throws {
    let state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    var scenario = PlanScenario.diabetes(port: 8891)
    scenario.resources[5].lifecycle.preventDestroy = true
    let plan = scenario.plan(state: state)
    let errors = plan.diagnostics.filter { $0.severity == .error }
    #expect(errors.count == 1)
    #expect(
      errors.first?.message.hasPrefix("service/diabetes-local has lifecycle.prevent_destroy set, but this plan replaces it")
        == true)
    #expect(errors.first?.hint == "remove prevent_destroy to allow the replacement, or undo the change")
  }

  @Test func ignoredFieldsPlanNothing() async throws {
    let state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    var scenario = PlanScenario.diabetes(workers: 3)
    scenario.resources[5].lifecycle.ignoreChanges = ["deployment.worker_count", "revision"]
    #expect(scenario.plan(state: state).actions.isEmpty)
  }

  @Test func removedResourcesAreDeletedDependentsFirst() async throws {
    let full = PlanScenario.diabetes()
    let state = await PlanScenario.applied(full.plan(), to: StateSnapshot())
    var scenario = full
    scenario.resources.removeAll { $0.address.kind == .service || $0.address.kind == .model }
    let plan = scenario.plan(state: state)
    #expect(plan.actions.map(\.kind) == [.delete, .delete])
    #expect(plan.actions.map(\.address.description) == ["service/diabetes-local", "model/diabetes-ridge"])
    #expect(plan.actions[1].dependsOn == [ResourceAddress(.service, "diabetes-local")])
    try expectGolden(plan, "delete")
  }

  @Test func destroyDeletesInReverseDependencyOrder() async throws {
    let scenario = PlanScenario.diabetes()
    let state = await PlanScenario.applied(scenario.plan(), to: StateSnapshot())
    let plan = scenario.plan(state: state, destroy: true)
    let order = plan.actions.map(\.address.description)
    for dependency in ["model/diabetes-ridge", "inferenceconfig/diabetes-scoring", "computetarget/local"] {
      #expect(order.firstIndex(of: "service/diabetes-local")! < order.firstIndex(of: dependency)!)
    }
    #expect(order.firstIndex(of: "inferenceconfig/diabetes-scoring")! < order.firstIndex(of: "environment/sklearn-env")!)
    #expect(plan.actions.allSatisfy { $0.kind == .delete })
  }

  @Test func missingServiceIsRedeployedAndForeignRevisionUpdated() async throws {
    let scenario = PlanScenario.diabetes()
    let state = await PlanScenario.applied(scenario.plan(), to: StateSnapshot())
    let service = ResourceAddress(.service, "diabetes-local")
    let missing = scenario.plan(
      state: state, observations: [service: Observation(health: .missing, message: "process 4242 is not running")])
    #expect(missing.actions.map(\.kind) == [.deploy])
    try expectGolden(missing, "drift-missing")
    let foreign = scenario.plan(state: state, observations: [service: Observation(health: .healthy, revision: "0123456789ab")])
    #expect(foreign.actions.map(\.kind) == [.update])
    #expect(foreign.actions[0].reason.contains("changed outside Berth"))
  }

  @Test func pinnedVersionMustExist() {
    var scenario = PlanScenario.diabetes()
    if case .service(var spec) = scenario.resources[5].spec {
      spec.models = [ModelReference(name: "diabetes-ridge", version: 7)]
      scenario.resources[5].spec = .service(spec)
    }
    let plan = scenario.plan()
    #expect(plan.diagnostics.map(\.message) == ["model 'diabetes-ridge' has no version 7"])
  }

  @Test func secretsNeverAppearInTextOrJSON() throws {
    var scenario = PlanScenario.diabetes()
    scenario.resources[1].spec = .environment(
      EnvironmentSpec(condaFile: "env/conda.yaml", environmentVariables: ["API_TOKEN": "hunter2-secret-value"]))
    let plan = scenario.plan()
    let text = PlanTextRenderer().render(plan)
    let json = String(decoding: try PlanJSON.encode(plan), as: UTF8.self)
    let markdown = PlanMarkdownRenderer.render(plan)
    for output in [text, json, markdown] {
      #expect(!output.contains("hunter2"))
    }
    #expect(text.contains("(sensitive)"))
  }

  @Test func jsonRoundTrips() throws {
    let plan = PlanScenario.diabetes().plan()
    #expect(try PlanJSON.decode(try PlanJSON.encode(plan)) == plan)
  }
}

@Suite struct FieldValueTests {
  @Test func numbersCompareByValueAcrossIntAndDouble() {
    #expect(FieldValue.int(1) == .double(1.0))
    #expect(FieldValue.int(1) != .double(1.5))
    #expect(Set([FieldValue.int(2), .double(2.0)]).count == 1)
    #expect(FieldValue.string("1") != .int(1))
  }

  @Test func aWholeDoubleSurvivesAPlanFileRoundTrip() throws {
    var scenario = PlanScenario.diabetes(target: "aks")
    if case .service(var spec) = scenario.resources[5].spec {
      spec.deployment = ["cpu_cores": .double(1.0)]
      scenario.resources[5].spec = .service(spec)
    }
    let plan = scenario.plan()
    let decoded = try PlanJSON.decode(try PlanJSON.encode(plan))
    #expect(decoded.actions.last?.attributes == plan.actions.last?.attributes)
  }
}

@Suite struct DriftReportTests {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

  @Test func cleanWhenAppliedAndRunning() async {
    let scenario = PlanScenario.diabetes()
    let state = await PlanScenario.applied(scenario.plan(), to: StateSnapshot())
    let revision = state.resources[ResourceAddress(.service, "diabetes-local")]!.outputs["revision"]!
    guard case .string(let running) = revision else { Issue.record("no revision"); return }
    let report = DriftReport.make(
      scenario.input(
        state: state,
        observations: [ResourceAddress(.service, "diabetes-local"): Observation(health: .healthy, revision: running)]))
    #expect(report.isClean)
  }

  @Test func reportsWhatChangedOutsideAndWhatIsPending() async throws {
    var scenario = PlanScenario.diabetes()
    let state = await PlanScenario.applied(scenario.plan(), to: StateSnapshot())
    scenario.digests[ResourceAddress(.model, "diabetes-ridge")] = String(repeating: "9f3c", count: 16)
    let report = DriftReport.make(
      scenario.input(
        state: state,
        observations: [
          ResourceAddress(.service, "diabetes-local"): Observation(health: .missing, message: "process 4242 is not running")
        ]))
    #expect(report.drifted.map(\.address.description) == ["service/diabetes-local"])
    #expect(report.pending.map(\.kind) == [.register, .update])
    let text = SnapshotFile.mismatch(DriftTextRenderer.render(report), file: Self.snapshots.appendingPathComponent("drift.txt"))
    #expect(text == nil, "\(text ?? "")")
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let json = SnapshotFile.mismatch(
      String(decoding: try encoder.encode(report), as: UTF8.self) + "\n",
      file: Self.snapshots.appendingPathComponent("drift.json"))
    #expect(json == nil, "\(json ?? "")")
  }
}
