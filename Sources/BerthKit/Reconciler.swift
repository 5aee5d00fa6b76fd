import BerthApply
import BerthGraph
import BerthManifest
import BerthModel
import BerthModelStore
import BerthPlan
import BerthState
import BerthTargetAPI
import Crypto
import Foundation

/// Opens the state store of a workspace; with `.read` access nothing on disk is created or migrated.
public typealias StateOpening = @Sendable (Workspace.StateLocation, StateAccess) throws -> any StateStoring & Locking

/// The plan / apply / destroy loop: load manifests, measure content, read state and targets, plan, execute.
public struct Reconciler: Sendable {
  /// The targets for a workspace (their runtime and cache folders live in it).
  public var targets: @Sendable (Workspace) -> Targets
  public var openState: StateOpening
  public var now: @Sendable () -> Date
  /// Who is applying, recorded with locks and history.
  public var who: String

  public init(
    targets: @escaping @Sendable (Workspace) -> Targets, openState: @escaping StateOpening,
    now: @escaping @Sendable () -> Date = Date.init,
    who: String = Reconciler.defaultWho()
  ) {
    self.targets = targets
    self.openState = openState
    self.now = now
    self.who = who
  }

  public static func defaultWho() -> String {
    ProcessInfo.processInfo.environment["BERTH_WHO"] ?? ProcessInfo.processInfo.environment["USER"] ?? "unknown"
  }

  /// Everything read from disk, state and targets that a plan needs.
  public struct Context: Sendable {
    public var validation: Validation
    public var workspace: Workspace
    public var store: any StateStoring & Locking
    public var targets: Targets
    public var input: PlanInput
    public var hashCache: HashCache
    /// What the targets' own checks found (ports in use, compute target types without a provider); part of every
    /// plan but a destroy.
    public var targetDiagnostics: [Diagnostic] = []
    /// How long each step of preparing took (`BERTH_TIMINGS=1` prints them).
    public var timings = PhaseTimings()
  }

  /// Loads and validates the manifests; nil context when there are errors (see the diagnostics).
  ///
  /// `access` is `.read` for commands that only look (plan, drift, render): they never create or migrate state.
  /// `workspaceRoot` is where the Workspace's relative paths (state, model store, caches) start when that is not the
  /// manifest root: `berth watch --git` reads each commit from a folder of its own but keeps one `.berth/`.
  public func prepare(
    path: String, overlays: [String] = [], observe: Bool = true, access: StateAccess = .write, workspaceRoot: String? = nil
  ) async throws -> (Context?, [Diagnostic]) {
    var timings = PhaseTimings()
    let validation = timings.measure("load and validate") {
      Validation.run(path: path, overlays: overlays, cache: access == .write ? .create : .ifPresent)
    }
    guard validation.isValid else { return (nil, validation.diagnostics) }
    let workspace = try Workspace.resolve(validation.graph.workspace, root: workspaceRoot ?? validation.manifests.root)
    let store = try openState(workspace.state, access)
    var (context, diagnostics) = try await prepare(validation: validation, workspace: workspace, store: store, observe: observe)
    context.timings = timings + context.timings
    // Digests measured for a plan are kept for the next one, in a cache folder an apply made (docs/state.md).
    if access == .read { context.hashCache.save(createFolder: false) }
    return (context, diagnostics)
  }

  /// Prepares from manifests already validated and a store already open (`apply` holds its lock on it).
  public func prepare(
    validation: Validation, workspace: Workspace, store: any StateStoring & Locking, observe: Bool = true
  ) async throws -> (Context, [Diagnostic]) {
    let context = try await context(validation: validation, workspace: workspace, store: store, observe: observe)
    return (context, validation.diagnostics + context.input.observationDiagnostics)
  }

  func context(validation: Validation, workspace: Workspace, store: any StateStoring & Locking, observe: Bool) async throws
    -> Context
  {
    var timings = PhaseTimings()
    let cache = timings.measure("read the hash cache") { HashCache(file: workspace.hashCacheFile) }
    let digests = try timings.measure("content digests") {
      try ContentDigests.measure(validation.graph, hasher: ContentHasher(cache: cache))
    }
    let state = try await timings.measure("state snapshot") { try await store.snapshot() }
    let targets = targets(workspace)
    var observations: [ResourceAddress: Observation] = [:]
    var observationDiagnostics: [Diagnostic] = []
    if observe {
      (observations, observationDiagnostics) = await timings.measure("observe targets") {
        await Observer(targets: targets).observe(graph: validation.graph, state: state)
      }
    }
    var input = PlanInput(
      graph: validation.graph, contentDigests: digests, state: state, observations: observations,
      manifestsDigest: validation.manifests.contentDigest)
    input.observationDiagnostics = observationDiagnostics
    let checks = timings.measure("target checks") { TargetChecks.run(graph: validation.graph, state: state, targets: targets) }
    return Context(
      validation: validation, workspace: workspace, store: store, targets: targets, input: input, hashCache: cache,
      targetDiagnostics: checks, timings: timings)
  }

  public func plan(_ context: Context, destroy: Bool = false) -> Plan {
    var plan = Planner.plan(context.input, destroy: destroy)
    plan.diagnostics = context.input.observationDiagnostics + (destroy ? [] : context.targetDiagnostics) + plan.diagnostics
    return plan
  }

  /// Runs a plan under the state lock. A plan made earlier (saved to a file) is refused if state or inputs changed.
  /// With a `source`, every record the apply writes says which commit it came from (`SourceCommit`).
  public func apply(
    _ plan: Plan, context: Context, parallelism: Int, source: SourceCommit? = nil,
    events: @escaping @Sendable (ExecutionEvent) -> Void
  ) async throws -> ExecutionSummary {
    let fresh = try await context.store.snapshot()
    guard fresh.serial == plan.fingerprint.stateSerial else {
      throw ReconcileError.stalePlan(
        "the state changed since the plan was made (serial \(plan.fingerprint.stateSerial) → \(fresh.serial))")
    }
    guard Planner.fingerprint(context.input).inputsDigest == plan.fingerprint.inputsDigest else {
      throw ReconcileError.stalePlan("the manifests or the files they name changed since the plan was made")
    }
    guard !plan.diagnostics.hasErrors else { throw ReconcileError.planHasErrors }
    let store = context.store
    let applyID = try await store.beginApply(operation: plan.operation, who: who, planDigest: Self.digest(plan), at: now())
    let performer = KitPerformer(
      graph: context.input.graph, recorded: context.input.state, targets: context.targets,
      modelStore: ModelStore(root: context.workspace.modelStore, hasher: ContentHasher(cache: context.hashCache)),
      catalog: ModelCatalog(context.input.state.modelVersions), now: now)
    let stamped: any ActionPerforming = source.map { SourceStampingPerformer(inner: performer, source: $0) } ?? performer
    let summary = await Executor(store: store, performer: stamped, parallelism: parallelism, now: now, events: events)
      .run(plan, applyID: applyID)
    try await store.finishApply(id: applyID, result: summary.isSuccess ? "succeeded" : "failed", at: now())
    context.hashCache.save()
    return summary
  }

  /// Takes the state lock for `operation`, runs `body`, and always releases it.
  public func withLock<T: Sendable>(
    _ store: any StateStoring & Locking, operation: String, timeout: TimeInterval, _ body: () async throws -> T
  ) async throws -> T {
    let lock = try await store.acquire(operation: operation, who: who, timeout: timeout)
    do {
      let result = try await body()
      try await store.release(lock)
      return result
    } catch {
      try? await store.release(lock)
      throw error
    }
  }

  static func digest(_ plan: Plan) -> String {
    (try? PlanJSON.encode(plan)).map { Hex.encode(SHA256.hash(data: $0)) } ?? ""
  }
}

/// Why an apply did not start.
public enum ReconcileError: Error, CustomStringConvertible, Equatable {
  case stalePlan(String)
  case planHasErrors

  public var description: String {
    switch self {
    case .stalePlan(let why): "saved plan is stale: \(why)\n  hint: run `berth plan` again"
    case .planHasErrors: "the plan has errors; fix them and plan again"
    }
  }
}
