import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import Foundation
import Testing

/// Plans for an AKS cluster Berth creates: settings it can change in place are a `provision`, a region or node size
/// is a `replace` that `prevent_destroy` blocks, and a cluster changed or deleted outside Berth is planned back.
@Suite struct ManagedClusterPlanTests {
  static let address = ResourceAddress(.computeTarget, "aks")

  static func scenario(_ changes: [String: FieldValue] = [:], preventDestroy: Bool = false) -> PlanScenario {
    var scenario = PlanScenario.diabetes()
    let settings: [String: FieldValue] = [
      "namespace": .string("ml"), "subscription_id": .string("sub"), "resource_group": .string("ml-prod"),
      "location": .string("westeurope"), "vm_size": .string("Standard_D4s_v5"), "agent_count": .int(3),
    ]
    let index = scenario.resources.firstIndex { $0.address == address }!
    scenario.resources[index] = PlanScenario.resource(
      .computeTarget, "aks", .computeTarget(ComputeTargetSpec(type: .kubernetes, settings: settings.merging(changes) { $1 })),
      lifecycle: Lifecycle(preventDestroy: preventDestroy))
    return scenario
  }

  @Test func nodeCountChangesInPlaceAndRegionReplaces() async throws {
    let state = await PlanScenario.applied(Self.scenario().plan(), to: StateSnapshot())
    let scaled = Self.scenario(["agent_count": .int(5)]).plan(state: state)
    #expect(scaled.actions.map(\.kind) == [.provision])
    #expect(scaled.action(for: Self.address)?.reason == "settings changed: agent_count")

    let moved = Self.scenario(["location": .string("northeurope")]).plan(state: state)
    #expect(moved.actions.map(\.kind) == [.replace])
    #expect(
      moved.action(for: Self.address)?.reason
        == #"location changed "westeurope" → "northeurope" (Azure cannot change it on an existing cluster)"#)
    #expect(moved.diagnostics.isEmpty)

    // A setting written for the first time may equal its default: planned in place, and ARM says if it cannot.
    let written = Self.scenario(["kubernetes_version": .string("1.30.0")]).plan(state: state)
    #expect(written.actions.map(\.kind) == [.provision])
  }

  @Test func preventDestroyBlocksReplacingTheCluster() async throws {
    let state = await PlanScenario.applied(Self.scenario().plan(), to: StateSnapshot())
    let plan = Self.scenario(["vm_size": .string("Standard_D8s_v5")], preventDestroy: true).plan(state: state)
    let errors = plan.diagnostics.filter { $0.severity == .error }
    #expect(errors.count == 1)
    #expect(
      errors.first?.message.hasPrefix("computetarget/aks has lifecycle.prevent_destroy set, but this plan replaces it") == true)
  }

  @Test func aClusterChangedOrDeletedOutsideBerthIsPlannedBack() async throws {
    let state = await PlanScenario.applied(Self.scenario().plan(), to: StateSnapshot())
    let scaled = Self.scenario().plan(
      state: state,
      observations: [Self.address: Observation(health: .degraded, message: "agent_count 5 on Azure, 3 declared")])
    #expect(scaled.actions.map(\.kind) == [.provision])
    #expect(
      scaled.action(for: Self.address)?.reason
        == "changed outside Berth (agent_count 5 on Azure, 3 declared); provision restores the declared settings")

    let gone = Self.scenario().plan(
      state: state, observations: [Self.address: Observation(health: .missing, message: "AKS cluster /x does not exist")])
    #expect(
      gone.action(for: Self.address)?.reason
        == "not found on its cloud (AKS cluster /x does not exist); provision creates it again")

    let fine = Self.scenario().plan(state: state, observations: [Self.address: Observation(health: .healthy)])
    #expect(fine.actions.isEmpty)
  }
}
