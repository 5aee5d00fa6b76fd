import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

/// The planner decides how each service action is carried out; the performer only dispatches these steps.
@Suite struct RolloutStepTests {
  let service = ResourceAddress(.service, "diabetes-local")

  func steps(_ plan: Plan) -> [RolloutStep]? { plan.action(for: service)?.steps }

  @Test func aNewLocalServiceIsDeployed() {
    #expect(steps(PlanScenario.diabetes().plan()) == [.deploy])
  }

  @Test func aChangedLocalServiceRollsOutBesideTheOldOne() async {
    let state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    #expect(steps(PlanScenario.diabetes(workers: 2).plan(state: state)) == [.rollOut])
  }

  @Test func aReplacementDeletesTheOldBeforeDeployingTheNew() async {
    let state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    #expect(steps(PlanScenario.diabetes(port: 8891).plan(state: state)) == [.deleteOld, .deploy])
  }

  @Test func aRemovedServiceIsDeleted() async {
    let scenario = PlanScenario.diabetes()
    let state = await PlanScenario.applied(scenario.plan(), to: StateSnapshot())
    #expect(steps(scenario.plan(state: state, destroy: true)) == [.deleteOld])
  }

  @Test func containerServicesBuildTheirImageFirst() async throws {
    let scenario = PlanScenario.diabetes(target: "aks")
    let created = scenario.plan()
    #expect(steps(created) == [.buildImage, .deploy])
    let state = await PlanScenario.applied(created, to: StateSnapshot())
    let updated = PlanScenario.diabetes(workers: 2, target: "aks").plan(state: state)
    #expect(steps(updated) == [.buildImage, .rollOut])
    try PlannerTests().expectGolden(updated, "update-container")
  }

  @Test func movingToAContainerTargetBuildsThenDeletesTheLocalOneThenDeploys() async throws {
    let state = await PlanScenario.applied(PlanScenario.diabetes().plan(), to: StateSnapshot())
    let plan = PlanScenario.diabetes(target: "aks").plan(state: state)
    #expect(plan.action(for: service)?.kind == .replace)
    #expect(steps(plan) == [.buildImage, .deleteOld, .deploy])
    try PlannerTests().expectGolden(plan, "replace-to-container")
  }

  @Test func otherKindsHaveNoSteps() {
    let plan = PlanScenario.diabetes().plan()
    let others = plan.actions.filter { $0.address.kind != .service }
    #expect(!others.isEmpty)
    #expect(others.allSatisfy { $0.steps.isEmpty })
  }

  @Test func stepsSurviveAPlanFileAndAreOmittedWhereThereAreNone() throws {
    let plan = PlanScenario.diabetes().plan()
    let data = try PlanJSON.encode(plan)
    #expect(try PlanJSON.decode(data).actions.map(\.steps) == plan.actions.map(\.steps))
    let text = String(decoding: data, as: UTF8.self)
    #expect(text.components(separatedBy: "\"steps\"").count - 1 == 1)
  }
}
