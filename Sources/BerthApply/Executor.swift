import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import Foundation

/// Walks a plan's DAG: at most `parallelism` actions at once, each recorded as it completes.
public struct Executor: Sendable {
  public var store: any StateStoring
  public var performer: any ActionPerforming
  public var parallelism: Int
  public var maxAttempts: Int
  /// Seconds between "still running" events.
  public var heartbeat: Double
  public var now: @Sendable () -> Date
  /// Waits between attempts of a retryable failure; injected so tests do not sleep real seconds.
  public var pause: @Sendable (Duration) async -> Void
  public var events: @Sendable (ExecutionEvent) -> Void

  public init(
    store: any StateStoring, performer: any ActionPerforming, parallelism: Int = 10, maxAttempts: Int = 3,
    heartbeat: Double = 10, now: @escaping @Sendable () -> Date = Date.init,
    pause: @escaping @Sendable (Duration) async -> Void = { try? await Task.sleep(for: $0) },
    events: @escaping @Sendable (ExecutionEvent) -> Void = { _ in }
  ) {
    self.store = store
    self.performer = performer
    self.parallelism = max(1, parallelism)
    self.maxAttempts = max(1, maxAttempts)
    self.heartbeat = heartbeat
    self.now = now
    self.pause = pause
    self.events = events
  }

  private enum Outcome: Sendable {
    case succeeded(ActionResult, seconds: Double)
    case failed(String, logTail: [String])
  }

  /// Runs every action of `plan` under apply `applyID`; never throws: failures are in the summary.
  public func run(_ plan: Plan, applyID: Int64) async -> ExecutionSummary {
    let actions = Dictionary(uniqueKeysWithValues: plan.actions.map { ($0.address, $0) })
    var waitingOn = actions.mapValues { Set($0.dependsOn.filter { actions[$0] != nil }) }
    var dependents: [ResourceAddress: [ResourceAddress]] = [:]
    for action in plan.actions {
      for dependency in waitingOn[action.address]! { dependents[dependency, default: []].append(action.address) }
    }
    var ready = plan.actions.map(\.address).filter { waitingOn[$0]!.isEmpty }
    var summary = ExecutionSummary()
    var stateBroken: String?

    await withTaskGroup(of: (ResourceAddress, Outcome).self) { group in
      var running = 0
      func launch() {
        while running < parallelism, stateBroken == nil, !ready.isEmpty {
          let address = ready.removeFirst()
          let action = actions[address]!
          running += 1
          group.addTask { (address, await self.execute(action, applyID: applyID)) }
        }
      }
      launch()
      while let (address, outcome) = await group.next() {
        running -= 1
        let action = actions[address]!
        switch outcome {
        case .succeeded(let result, let seconds):
          do {
            try await store.record(completion(for: action, applyID: applyID, result: result))
            summary.succeeded.append(address)
            for diagnostic in result.diagnostics { events(.warned(address, diagnostic)) }
            events(.succeeded(address, action.kind, message: result.message, seconds: seconds))
            for dependent in dependents[address] ?? [] {
              waitingOn[dependent]!.remove(address)
              if waitingOn[dependent]!.isEmpty { ready.append(dependent) }
            }
          } catch {
            // What happened cannot be recorded: stop starting actions, the state would no longer tell the truth.
            stateBroken = "state could not be written after \(address) succeeded: \(error)"
            summary.failed[address] = stateBroken
            events(.failed(address, action.kind, error: stateBroken!, logTail: []))
          }
        case .failed(let message, let logTail):
          summary.failed[address] = message
          events(.failed(address, action.kind, error: message, logTail: logTail))
          try? await store.record(
            ActionCompletion(
              applyID: applyID, address: address, action: action.kind.rawValue, outcome: .failed, message: message,
              finishedAt: now()))
          await skipDependents(of: address, actions: actions, dependents: dependents, summary: &summary, applyID: applyID)
        }
        launch()
      }
    }
    // Anything never started (state broken) is skipped.
    for action in plan.actions
    where !summary.succeeded.contains(action.address) && summary.failed[action.address] == nil
      && summary.skipped[action.address] == nil
    {
      let because = stateBroken ?? "not started"
      summary.skipped[action.address] = because
      events(.skipped(action.address, action.kind, because: because))
    }
    return summary
  }

  private func skipDependents(
    of failed: ResourceAddress, actions: [ResourceAddress: PlannedAction], dependents: [ResourceAddress: [ResourceAddress]],
    summary: inout ExecutionSummary, applyID: Int64
  ) async {
    var queue = dependents[failed] ?? []
    while let address = queue.popLast() {
      guard summary.skipped[address] == nil, let action = actions[address] else { continue }
      let because = "\(failed) failed"
      summary.skipped[address] = because
      events(.skipped(address, action.kind, because: because))
      try? await store.record(
        ActionCompletion(
          applyID: applyID, address: address, action: action.kind.rawValue, outcome: .skipped, message: because,
          finishedAt: now()))
      queue += dependents[address] ?? []
    }
  }

  private func completion(for action: PlannedAction, applyID: Int64, result: ActionResult) -> ActionCompletion {
    let record = ResourceRecord(
      address: action.address, attributes: action.attributes, outputs: result.outputs, dependencies: action.dependencies,
      updatedAt: now())
    let change: RecordChange =
      if action.kind == .delete {
        .remove(action.address)
      } else if let old = action.movedFrom {
        .move(from: old, to: record)
      } else {
        .put(record)
      }
    return ActionCompletion(
      applyID: applyID, address: action.address, action: action.kind.rawValue, outcome: .succeeded, message: result.message,
      change: change, modelVersion: result.modelVersion, removedModel: result.removedModel, finishedAt: now())
  }

  private func execute(_ action: PlannedAction, applyID: Int64) async -> Outcome {
    let address = action.address
    events(.started(address, action.kind))
    let started = now()
    let context = ActionContext(applyID: applyID) { [events] line in events(.progress(address, line)) }
    var attempt = 1
    while true {
      do {
        let result = try await withHeartbeat(action) { try await performer.perform(action, context: context) }
        return .succeeded(result, seconds: now().timeIntervalSince(started))
      } catch let error as TargetError where error.isRetryable && attempt < maxAttempts {
        events(.retrying(address, attempt: attempt, error: error.message))
        await pause(.seconds(attempt))
        attempt += 1
      } catch let error as TargetError {
        return .failed(error.message, logTail: error.logTail)
      } catch {
        return .failed(String(describing: error), logTail: [])
      }
    }
  }

  /// Runs `body`, emitting `stillRunning` every `heartbeat` seconds until it finishes.
  private func withHeartbeat<T: Sendable>(_ action: PlannedAction, _ body: @escaping @Sendable () async throws -> T) async throws
    -> T
  {
    let heartbeat = self.heartbeat
    let events = self.events
    let ticker = Task {
      var seconds = 0.0
      while !Task.isCancelled {
        try? await Task.sleep(nanoseconds: UInt64(heartbeat * 1_000_000_000))
        if Task.isCancelled { break }
        seconds += heartbeat
        events(.stillRunning(action.address, action.kind, seconds: Int(seconds)))
      }
    }
    defer { ticker.cancel() }
    return try await body()
  }
}
