import BerthKit
import BerthModel
import BerthTargetAPI
import BerthTesting
import BerthWatch
import Foundation

/// A clock that only moves when the loop sleeps or a test says so.
final class FakeClock: @unchecked Sendable {
  private let lock = NSLock()
  private var current: Date
  private var slept: [TimeInterval] = []
  /// Called after each sleep with the number of sleeps so far (to request a stop, change the world…).
  var afterSleep: @Sendable (Int) -> Void = { _ in }

  init(_ start: Date = Date(timeIntervalSince1970: 1_700_000_000)) {
    current = start
  }

  var sleeps: [TimeInterval] { lock.withLock { slept } }

  func now() -> Date { lock.withLock { current } }

  func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }

  func sleep(_ seconds: TimeInterval) async throws {
    let count = lock.withLock { () -> Int in
      current += seconds
      slept.append(seconds)
      return slept.count
    }
    afterSleep(count)
    await Task.yield()
  }
}

/// Collects log records.
final class LogSink: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [WatchLogRecord] = []

  func write(_ record: WatchLogRecord) { lock.withLock { stored.append(record) } }

  var records: [WatchLogRecord] { lock.withLock { stored } }

  func events(_ name: String) -> [WatchLogRecord] { records.filter { $0.event == name } }
}

/// A local target whose services can go missing (drift) and whose deploys can fail or block, recording each request.
final class DriftingTarget: TargetProvider, @unchecked Sendable {
  let type: ComputeType = .local
  private let lock = NSLock()
  private var missing: Set<String> = []
  private var failing = false
  private var requests: [ApplyOperation] = []
  /// Seconds each deploy takes (a real sleep, so that cancellation can reach it).
  var deploySeconds: Double = 0
  /// Called when a deploy starts.
  var onDeploy: @Sendable () -> Void = {}

  var applyRequests: [ApplyOperation] { lock.withLock { requests } }

  /// The service stops running behind Berth's back.
  func kill(_ name: String) { lock.withLock { _ = missing.insert(name) } }

  func failDeploys(_ fail: Bool) { lock.withLock { failing = fail } }

  func validate(_ request: ValidateRequest) -> [Diagnostic] { [] }

  func observe(_ request: ObserveRequest) async throws -> ObserveResponse {
    let missing = lock.withLock { self.missing }
    var services: [String: Observation] = [:]
    for service in request.services {
      if missing.contains(service.name) {
        services[service.name] = Observation(health: .missing, message: "process is not running")
      } else if case .string(let revision)? = service.recordedOutputs["revision"] {
        services[service.name] = Observation(health: .healthy, revision: revision)
      }
    }
    return ObserveResponse(services: services, backendCalls: 1)
  }

  func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
    let failing = lock.withLock {
      requests.append(request.operation)
      return self.failing
    }
    switch request.operation {
    case .deprovision(let name, _):
      return ApplyResponse(message: "forgot \(name)")
    case .provision(let name, _):
      return ApplyResponse(message: "provisioned \(name)")
    case .deploy(let deployment), .update(let deployment, _):
      onDeploy()
      if deploySeconds > 0 { try await Task.sleep(for: .seconds(deploySeconds)) }
      if failing { throw TargetError("scoring server exited with code 3") }
      lock.withLock { _ = missing.remove(deployment.name) }
      return ApplyResponse(
        outputs: ["revision": .string(deployment.revision), "scoring_uri": .string("http://127.0.0.1:1/score")],
        message: "running revision \(deployment.revision)")
    case .delete(let name, _), .deleteEndpoint(let name, _):
      return ApplyResponse(message: "deleted \(name)")
    case .publishEndpoint(let endpoint, _):
      return ApplyResponse(message: "published \(endpoint.name)")
    }
  }

  var deployCount: Int {
    applyRequests.filter {
      switch $0 {
      case .deploy, .update: true
      default: false
      }
    }.count
  }
}

/// A manifest folder with one model served on the local target, in a temporary directory.
enum WatchWorkspace {
  static func make() throws -> ScratchDirectory {
    let folder = try ScratchDirectory("watch")
    try folder.write("model.pkl", "weights v1\n")
    try folder.write("conda.yaml", "name: sk\ndependencies:\n  - python=3.11\n")
    try folder.write("src/score.py", "def init():\n    pass\n\ndef run(data):\n    return data\n")
    try folder.write(
      "berth.yaml",
      """
      apiVersion: berth/v1
      kind: Model
      metadata: {name: ridge}
      spec: {path: model.pkl}
      ---
      apiVersion: berth/v1
      kind: Environment
      metadata: {name: sk-env}
      spec: {conda_file: conda.yaml}
      ---
      apiVersion: berth/v1
      kind: InferenceConfig
      metadata: {name: scoring}
      spec: {source_directory: src, entry_script: score.py, environment: sk-env}
      ---
      apiVersion: berth/v1
      kind: ComputeTarget
      metadata: {name: local}
      spec: {type: local}
      ---
      apiVersion: berth/v1
      kind: Service
      metadata: {name: web}
      spec:
        compute_target: local
        models: [ridge]
        inference_config: scoring
        deployment: {port: 18890, worker_count: 1}

      """)
    return folder
  }
}

/// A loop over `WatchWorkspace` with in-memory state, the drifting target and a fake clock.
struct WatchHarness {
  let workspace: ScratchDirectory
  let store = InMemoryStateStore()
  let target = DriftingTarget()
  let clock = FakeClock()
  let log = LogSink()
  let metrics: WatchMetricsStore

  init(interval: TimeInterval = 30) throws {
    workspace = try WatchWorkspace.make()
    metrics = WatchMetricsStore(WatchMetrics(version: "test", interval: interval, startedAt: clock.now()))
  }

  func loop(selfHeal: Bool, interval: TimeInterval = 30, shutdownTimeout: TimeInterval = 25) -> ReconcileLoop {
    let store = store
    let target = target
    let clock = clock
    let log = log
    let reconciler = Reconciler(
      targets: { _ in Targets(providers: [target], environmentBuilder: FakeEnvironmentBuilder()) },
      openState: { _, _ in store }, now: { clock.now() }, who: "watch-test")
    return ReconcileLoop(
      configuration: WatchConfiguration(
        path: workspace.path, interval: interval, selfHeal: selfHeal, parallelism: 4, shutdownTimeout: shutdownTimeout),
      reconciler: reconciler, metrics: metrics, now: { clock.now() }, sleep: { try await clock.sleep($0) },
      random: { 0.5 }, log: { log.write($0) })
  }
}
