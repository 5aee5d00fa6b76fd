import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

/// Renames with `metadata.previous_names`: the record moves, nothing is redeployed for the rename itself.
@Suite struct RenameTests {
  let service = ResourceAddress(.service, "diabetes-local")
  let model = ResourceAddress(.model, "diabetes-ridge")

  func expectGolden(_ plan: Plan, _ name: String) throws {
    let text = SnapshotFile.mismatch(
      PlanTextRenderer().render(plan), file: PlannerTests.snapshots.appendingPathComponent("\(name).txt"))
    #expect(text == nil, "\(text ?? "")")
    let json = SnapshotFile.mismatch(
      String(decoding: try PlanJSON.encode(plan), as: UTF8.self),
      file: PlannerTests.snapshots.appendingPathComponent("\(name).json"))
    #expect(json == nil, "\(json ?? "")")
  }

  /// The scenario with `address` renamed to `newName` (listing its old name) and references to it updated.
  func renaming(_ address: ResourceAddress, to newName: String, in scenario: PlanScenario) -> PlanScenario {
    var scenario = scenario
    for index in scenario.resources.indices {
      if scenario.resources[index].address == address {
        scenario.resources[index].address = ResourceAddress(address.kind, newName)
        scenario.resources[index].previousNames = [address.name]
      }
      if address.kind == .model, case .service(var spec) = scenario.resources[index].spec {
        spec.models = spec.models.map { $0.name == address.name ? ModelReference(name: newName, version: $0.version) : $0 }
        scenario.resources[index].spec = .service(spec)
      }
    }
    if let digest = scenario.digests.removeValue(forKey: address) {
      scenario.digests[ResourceAddress(address.kind, newName)] = digest
    }
    return scenario
  }

  @Test func renamedServiceMovesWithoutRedeploying() async throws {
    let state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    let plan = renaming(service, to: "diabetes-api", in: .diabetes()).plan(state: state)
    #expect(plan.actions.map(\.kind) == [.move])
    #expect(plan.actions[0].movedFrom == service)
    #expect(plan.actions[0].changes.isEmpty)
    try expectGolden(plan, "rename-service")

    let after = await PlanScenario.applied(plan, to: state)
    #expect(after.resources[service] == nil)
    #expect(after.resources[ResourceAddress(.service, "diabetes-api")]?.attributes == state.resources[service]?.attributes)
    #expect(renaming(service, to: "diabetes-api", in: .diabetes()).plan(state: after).actions.isEmpty)
  }

  @Test func renamedServiceWithANewSettingUpdatesInPlace() async throws {
    let state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    let plan = renaming(service, to: "diabetes-api", in: .diabetes(workers: 2)).plan(state: state)
    #expect(plan.actions.map(\.kind) == [.update])
    #expect(plan.actions[0].movedFrom == service)
    #expect(plan.actions[0].reason == "renamed from service/diabetes-local; deployment.worker_count 1 → 2")
  }

  @Test func renamedModelKeepsItsVersions() async throws {
    let state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    let plan = renaming(model, to: "diabetes-ridge-v2", in: .diabetes()).plan(state: state)
    // The model moves; the service is updated because its models list names the model (the folder it reads changes).
    #expect(plan.actions.map(\.kind) == [.move, .update])
    #expect(plan.actions[0].attributes["version"] == .int(1))
    #expect(plan.actions[1].reason == "model diabetes-ridge removed (was version 1); model diabetes-ridge-v2 added (version 1)")
    try expectGolden(plan, "rename-model")
  }

  @Test func oneRecordClaimedTwiceIsAnError() async throws {
    let state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    var scenario = renaming(service, to: "diabetes-api", in: .diabetes())
    var twin = scenario.resources.first { $0.address.name == "diabetes-api" }!
    twin.address = ResourceAddress(.service, "diabetes-twin")
    twin.spec = .service(
      ServiceSpec(
        computeTarget: "local", models: [ModelReference(name: "diabetes-ridge")], inferenceConfig: "diabetes-scoring",
        deployment: ["port": .int(8891)]))
    scenario.resources.append(twin)
    let plan = scenario.plan(state: state)
    #expect(plan.diagnostics.hasErrors)
    #expect(
      plan.diagnostics.map(\.message).contains {
        $0.contains("service/diabetes-local is listed in previous_names of both service/diabetes-api and service/diabetes-twin")
      })
    // Neither takes the record, so the old service is planned for deletion and both new ones for deployment.
    #expect(plan.actions.allSatisfy { $0.movedFrom == nil })
  }

  @Test func previousNameOfAnAlreadyRecordedResourceIsDeletedWithAWarning() async throws {
    let renamed = renaming(service, to: "diabetes-api", in: .diabetes())
    var state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    state = await PlanScenario.applied(renamed.plan(state: state), to: state)
    var old = state.resources[ResourceAddress(.service, "diabetes-api")]!
    old.address = service
    state.resources[service] = old
    let plan = renamed.plan(state: state)
    #expect(plan.actions.map(\.kind) == [.delete])
    #expect(plan.diagnostics.map(\.severity) == [.warning])
  }

  @Test func movesSurviveASavedPlan() throws {
    let action = PlannedAction(kind: .move, address: ResourceAddress(.service, "b"), reason: "r", movedFrom: service)
    let plan = Plan(
      actions: [action], unchanged: [], diagnostics: [], fingerprint: PlanFingerprint(stateSerial: 1, inputsDigest: "d"))
    #expect(try PlanJSON.decode(PlanJSON.encode(plan)).actions == [action])
  }
}
