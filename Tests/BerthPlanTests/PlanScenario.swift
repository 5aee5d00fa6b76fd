import BerthApply
import BerthGraph
import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import BerthTesting
import Foundation

/// A small in-memory world for plan tests: resources written as values, digests as strings.
struct PlanScenario {
  var resources: [Resource]
  var digests: [ResourceAddress: String]

  static func resource(_ kind: ResourceKind, _ name: String, _ spec: ResourceSpec, lifecycle: Lifecycle = Lifecycle()) -> Resource
  {
    Resource(
      address: ResourceAddress(kind, name), lifecycle: lifecycle, spec: spec,
      location: SourceLocation(file: "berth.yaml", line: 1, column: 1), baseDirectory: "/repo")
  }

  /// The diabetes example's shape: one model, environment, inference config, local target and service.
  /// A container target also gets a Workspace with the registry its images go to.
  static func diabetes(port: Int = 8890, workers: Int = 1, target: String = "local") -> PlanScenario {
    let workspace =
      target == "local"
      ? []
      : [resource(.workspace, "default", .workspace(WorkspaceSpec(registry: RegistryReference(address: "registry.example"))))]
    return PlanScenario(
      resources: workspace + [
        resource(.model, "diabetes-ridge", .model(ModelSpec(path: "model/diabetes-ridge.pkl", tags: ["algo": "ridge"]))),
        resource(.environment, "sklearn-env", .environment(EnvironmentSpec(condaFile: "env/conda.yaml"))),
        resource(
          .inferenceConfig, "diabetes-scoring",
          .inferenceConfig(InferenceConfigSpec(sourceDirectory: "src", entryScript: "score.py", environment: "sklearn-env"))),
        resource(.computeTarget, "local", .computeTarget(ComputeTargetSpec(type: .local))),
        resource(
          .computeTarget, "aks", .computeTarget(ComputeTargetSpec(type: .kubernetes, settings: ["namespace": .string("ml")]))),
        resource(
          .service, "diabetes-local",
          .service(
            ServiceSpec(
              computeTarget: target, models: [ModelReference(name: "diabetes-ridge")], inferenceConfig: "diabetes-scoring",
              deployment: ["port": .int(port), "worker_count": .int(workers)]))),
      ],
      digests: [
        ResourceAddress(.model, "diabetes-ridge"): String(repeating: "ab12", count: 16),
        ResourceAddress(.environment, "sklearn-env"): String(repeating: "e0e0", count: 16),
        ResourceAddress(.inferenceConfig, "diabetes-scoring"): String(repeating: "c0de", count: 16),
      ])
  }

  func input(state: StateSnapshot, observations: [ResourceAddress: Observation] = [:]) -> PlanInput {
    let (graph, diagnostics) = GraphBuilder.build(resources)
    precondition(diagnostics.isEmpty, "\(diagnostics)")
    return PlanInput(graph: graph, contentDigests: digests, state: state, observations: observations, manifestsDigest: "m")
  }

  func plan(state: StateSnapshot = StateSnapshot(), observations: [ResourceAddress: Observation] = [:], destroy: Bool = false)
    -> Plan
  {
    Planner.plan(input(state: state, observations: observations), destroy: destroy)
  }

  /// Runs a plan through the real executor with succeeding fakes and returns the resulting state.
  static func applied(_ plan: Plan, to state: StateSnapshot) async -> StateSnapshot {
    let store = InMemoryStateStore(state)
    let performer = ScriptedPerformer(
      scripts: Dictionary(
        uniqueKeysWithValues: plan.actions.map {
          ($0.address, ScriptedPerformer.Script.succeed(outputs: ["revision": $0.attributes["revision"] ?? .string("-")]))
        }))
    let executor = Executor(store: store, performer: performer, now: { Date(timeIntervalSince1970: 0) })
    let summary = await executor.run(plan, applyID: 1)
    precondition(summary.isSuccess, "\(summary)")
    return await store.snapshot()
  }
}
