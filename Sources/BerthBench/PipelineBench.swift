import BerthKit
import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import BerthTesting
import Foundation

/// Full plan from empty state, apply with a fake target, and a no-op plan with populated state.
struct PipelineBench {
  let root: String

  /// A reconciler with real SQLite state and model store, and fakes for the target and environment builder.
  func reconciler() -> Reconciler {
    Reconciler(
      targets: { _ in Targets(providers: [RecordingTargetProvider(type: .local)], environmentBuilder: FakeEnvironmentBuilder()) },
      openState: Composition.openState)
  }

  func plan() async throws -> Plan {
    let reconciler = reconciler()
    let (context, diagnostics) = try await reconciler.prepare(path: root)
    guard let context else { throw BenchError(diagnostics.prefix(3).map(\.description).joined(separator: "\n")) }
    return reconciler.plan(context)
  }

  func apply() async throws -> ExecutionCounts {
    let reconciler = reconciler()
    let (context, diagnostics) = try await reconciler.prepare(path: root)
    guard let context else { throw BenchError(diagnostics.prefix(3).map(\.description).joined(separator: "\n")) }
    let plan = reconciler.plan(context)
    let summary = try await reconciler.apply(plan, context: context, parallelism: 10, events: { _ in })
    guard summary.isSuccess else { throw BenchError("apply failed: \(summary.failed.prefix(3))") }
    return ExecutionCounts(actions: plan.actions.count)
  }

  /// Times each step of a no-op plan separately: validate, prepare (digests, state, observe), plan.
  func phases() async throws -> [(String, Double)] {
    func time(_ body: () async throws -> Void) async rethrows -> Double {
      let start = DispatchTime.now().uptimeNanoseconds
      try await body()
      return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    let reconciler = reconciler()
    let validate = await time { _ = Validation.run(path: root) }
    var context: Reconciler.Context?
    let prepare = try await time { context = try await reconciler.prepare(path: root).0 }
    let store = try Composition.openState(context!.workspace.state, .write)
    let snapshot = try await time { _ = try await store.snapshot() }
    let plan = await time { _ = reconciler.plan(context!) }
    return [("validate", validate), ("prepare", prepare), ("snapshot", snapshot), ("plan", plan)]
  }

  /// Forgets state, registered models and caches so the next run starts cold.
  func reset() throws {
    try? FileManager.default.removeItem(atPath: root + "/.berth")
  }
}

struct ExecutionCounts {
  var actions: Int
}

struct BenchError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
