import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

/// Endpoints in the plan: created after their compute target and before the services behind them, and a
/// traffic shift is an in-place update whose field diffs read `traffic.blue: 100 → 90`.
@Suite struct EndpointPlanTests {
  let endpoint = ResourceAddress(.endpoint, "scoring")

  /// The diabetes scenario with the service replaced by blue and green deployments behind one endpoint.
  static func blueGreen(traffic: [String: Int], authMode: EndpointAuthMode = .key) -> PlanScenario {
    var scenario = PlanScenario.diabetes()
    scenario.resources.removeAll { $0.address.kind == .service }
    scenario.resources.append(
      PlanScenario.resource(
        .endpoint, "scoring", .endpoint(EndpointSpec(computeTarget: "local", authMode: authMode, traffic: traffic, port: 8900))))
    for name in ["blue", "green"] {
      scenario.resources.append(
        PlanScenario.resource(
          .service, name,
          .service(
            ServiceSpec(
              computeTarget: "local", models: [ModelReference(name: "diabetes-ridge")], inferenceConfig: "diabetes-scoring",
              endpoint: "scoring"))))
    }
    return scenario
  }

  @Test func endpointIsCreatedAfterItsTargetAndBeforeItsServices() throws {
    let plan = Self.blueGreen(traffic: ["blue": 100, "green": 0]).plan()
    let order = plan.actions.map(\.address)
    let endpointIndex = try #require(order.firstIndex(of: endpoint))
    #expect(order.firstIndex(of: ResourceAddress(.computeTarget, "local"))! < endpointIndex)
    #expect(endpointIndex < order.firstIndex(of: ResourceAddress(.service, "blue"))!)
    let action = try #require(plan.actions.first { $0.address == endpoint })
    #expect(action.kind == .provision)
    #expect(action.attributes["listen_address"] == .string("127.0.0.1"))
    #expect(action.attributes["auth_mode"] == .string("key"))
    let blue = try #require(plan.actions.first { $0.address == ResourceAddress(.service, "blue") })
    #expect(blue.attributes["endpoint"] == .string("scoring"))
    #expect(blue.dependsOn.contains(endpoint))
  }

  @Test func routesChangedOutsideBerthAreDriftOnceEveryDeploymentRuns() async throws {
    let scenario = Self.blueGreen(traffic: ["blue": 90, "green": 10])
    let state = await PlanScenario.applied(scenario.plan(), to: StateSnapshot())
    func observed(_ routes: [String: Int]) -> PlanInput {
      var attributes: Attributes = [:]
      for (service, percent) in routes { attributes["routes.\(service)"] = .int(percent) }
      return scenario.input(state: state, observations: [endpoint: Observation(health: .healthy, attributes: attributes)])
    }
    // Someone edited the route table: 50/50 where 90/10 is declared.
    let report = DriftReport.make(observed(["blue": 50, "green": 50]))
    #expect(report.drifted.map(\.address) == [endpoint])
    #expect(
      report.drifted.first?.changes == [
        FieldChange(path: "traffic.blue", before: .int(90), after: .int(50)),
        FieldChange(path: "traffic.green", before: .int(10), after: .int(50)),
      ])
    let plan = Planner.plan(observed(["blue": 50, "green": 50]))
    let action = try #require(plan.actions.first { $0.address == endpoint })
    #expect(action.kind == .update)
    #expect(action.reason.contains("gateway routes changed outside Berth"), "\(action.reason)")
    // The declared split, or green not running yet (its share with blue): nothing to report.
    #expect(DriftReport.make(observed(["blue": 90, "green": 10])).drifted.isEmpty)
    #expect(DriftReport.make(observed(["blue": 100])).drifted.isEmpty)
  }

  @Test func trafficShiftIsAnInPlaceUpdateWithFieldDiffs() async throws {
    let before = Self.blueGreen(traffic: ["blue": 100, "green": 0])
    let state = await PlanScenario.applied(before.plan(), to: StateSnapshot())
    let plan = Self.blueGreen(traffic: ["blue": 90, "green": 10]).plan(state: state)
    #expect(plan.actions.map(\.address) == [endpoint], "the services behind it do not change")
    let action = try #require(plan.actions.first)
    #expect(action.kind == .update)
    #expect(
      action.changes == [
        FieldChange(path: "traffic.blue", before: .int(100), after: .int(90)),
        FieldChange(path: "traffic.green", before: .int(0), after: .int(10)),
      ])
    let text = SnapshotFile.mismatch(
      PlanTextRenderer().render(plan), file: PlannerTests.snapshots.appendingPathComponent("traffic-shift.txt"))
    #expect(text == nil, "\(text ?? "")")
    let json = SnapshotFile.mismatch(
      String(decoding: try PlanJSON.encode(plan), as: UTF8.self),
      file: PlannerTests.snapshots.appendingPathComponent("traffic-shift.json"))
    #expect(json == nil, "\(json ?? "")")
  }

  @Test func authModeChangeIsAnUpdateToo() async throws {
    let state = await PlanScenario.applied(Self.blueGreen(traffic: ["blue": 100]).plan(), to: StateSnapshot())
    let plan = Self.blueGreen(traffic: ["blue": 100], authMode: .none).plan(state: state)
    #expect(plan.actions.map(\.kind) == [.update])
    #expect(plan.actions.first?.reason == "auth_mode \"key\" → \"none\"")
  }
}
