import BerthApply
import BerthModel
import BerthPlan
import BerthState
import BerthStateSQLite
import BerthTargetAPI
import BerthTargetKubernetes
import BerthTesting
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Applying N kubernetes services with the real executor and SQLite state to the API server double, `parallelism` at
/// a time: wall time, state writes per second, peak RSS of this process, and the most connections the double saw
/// open at once (the executor must never hold more than `parallelism`).
struct KubernetesApplyBench {
  let services: Int
  let parallelism: Int

  /// Deploys each action's service through the provider (what `KitPerformer` does after the image is built).
  struct Performer: ActionPerforming {
    let provider: KubernetesTargetProvider
    let settings: [String: FieldValue]

    func perform(_ action: PlannedAction, context: ActionContext) async throws -> ActionResult {
      var deployment = KubernetesBench.deployment(action.address.name, settings: settings, autoscaled: false)
      let digest = "sha256:" + String(repeating: "ab", count: 32)
      deployment.image = ContainerImage(
        reference: "registry.example.com/svc@\(digest)", digest: digest, registry: "registry.example.com")
      let response = try await provider.apply(ApplyRequest(operation: .deploy(deployment), progress: context.progress))
      return ActionResult(outputs: response.outputs, message: response.message)
    }
  }

  func run() async throws {
    let child = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3", KubernetesBench.double, "--no-validate"])
    let line = try await child.line(startingWith: "LISTENING ")
    let server = "http://127.0.0.1:\(line.dropFirst("LISTENING ".count))"
    defer { child.signal() }
    let settings: [String: FieldValue] = [
      "api_server": .string(server), "token_env": .string("BERTH_BENCH_TOKEN"), "namespace": .string("ml-prod"),
    ]
    // Rollouts on the double complete at once; the provider re-reads status every 50 ms instead of every second.
    let provider = KubernetesTargetProvider(
      environment: ["BERTH_BENCH_TOKEN": "bench"], timings: KubernetesTimings(pollInterval: .milliseconds(50)))
    _ = try await provider.apply(
      ApplyRequest(operation: .provision(name: "aks", ComputeTargetSpec(type: .kubernetes, settings: settings))))
    _ = try await URLSession.shared.data(
      for: {
        var request = URLRequest(url: URL(string: server + "/_double/reset")!)
        request.httpMethod = "POST"
        return request
      }())

    let folder = NSTemporaryDirectory() + "berth-bench-kube-apply-\(getpid())"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let store = try SQLiteStateStore(path: folder + "/state.db")
    let actions = (0..<services).map { index in
      PlannedAction(
        kind: .deploy, address: ResourceAddress(.service, "svc-\(index)"), reason: "bench", steps: [.deploy])
    }
    let plan = Plan(
      actions: actions, unchanged: [], diagnostics: [], fingerprint: PlanFingerprint(stateSerial: 0, inputsDigest: "bench"))
    let executor = Executor(
      store: store, performer: Performer(provider: provider, settings: settings), parallelism: parallelism)
    let applyID = try await store.beginApply(operation: "apply", who: "bench", planDigest: "bench", at: Date())
    let rssBefore = Self.peakRSSMegabytes()
    let started = ContinuousClock.now
    let summary = await executor.run(plan, applyID: applyID)
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    guard summary.isSuccess else {
      throw ChildFailure(
        message: "the bench apply failed (\(summary.failed.count) services): \(summary.failed.values.first ?? "")")
    }
    let (data, _) = try await URLSession.shared.data(from: URL(string: server + "/_double/stats")!)
    let stats = (try? JSONSerialization.jsonObject(with: data)) as? [String: Int] ?? [:]
    let recorded = try await store.snapshot().resources.count
    report(
      "k8s-apply", size: services, seconds,
      String(
        format:
          "(parallelism %d: %.0f services/s, %.0f state writes/s, %d recorded; at the double at most %d requests in flight, %d connections open; peak RSS %.0f MB, %.0f MB before)",
        parallelism, Double(services) / seconds, Double(services) / seconds, recorded,
        stats["requests in flight max"] ?? -1, stats["connections max"] ?? -1,
        Self.peakRSSMegabytes(), rssBefore))
  }

  /// This process's peak resident set (Linux reports kilobytes).
  static func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
  }
}
