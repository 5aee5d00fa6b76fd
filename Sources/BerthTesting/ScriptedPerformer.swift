import BerthApply
import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import Foundation

/// A performer whose behaviour per address is scripted, recording every call and the peak concurrency.
public actor ScriptedPerformer: ActionPerforming {
  public enum Script: Sendable {
    case succeed(outputs: Attributes)
    case fail(TargetError)
    /// Fails with a retryable error this many times, then succeeds.
    case flaky(failures: Int)
  }

  public private(set) var calls: [ResourceAddress] = []
  public private(set) var peakConcurrency = 0
  private var running = 0
  private var scripts: [ResourceAddress: Script]
  private var attempts: [ResourceAddress: Int] = [:]
  private let delay: Double

  /// `delay` seconds are spent in every call, so concurrency can be observed.
  public init(scripts: [ResourceAddress: Script] = [:], delay: Double = 0) {
    self.scripts = scripts
    self.delay = delay
  }

  public nonisolated func perform(_ action: PlannedAction, context: ActionContext) async throws -> ActionResult {
    await begin(action.address)
    if delay > 0 { try? await Task.sleep(nanoseconds: UInt64(delay * 1_000_000_000)) }
    return try await finish(action)
  }

  /// A registered version as a real model store would describe it, from the action's attributes.
  static func modelVersion(for action: PlannedAction) -> ModelVersionRecord? {
    guard action.kind == .register, action.address.kind == .model,
      case .int(let version)? = action.attributes["version"], case .string(let sha)? = action.attributes["content.sha256"]
    else { return nil }
    return ModelVersionRecord(
      name: action.address.name, version: version, sha256: sha, storePath: "/store/sha256/\(sha)", basename: "model.pkl",
      sizeBytes: 1, fileCount: 1, registeredAt: Date(timeIntervalSince1970: 0))
  }

  private func begin(_ address: ResourceAddress) {
    calls.append(address)
    running += 1
    peakConcurrency = max(peakConcurrency, running)
  }

  private func finish(_ action: PlannedAction) throws -> ActionResult {
    running -= 1
    attempts[action.address, default: 0] += 1
    switch scripts[action.address] ?? .succeed(outputs: [:]) {
    case .succeed(let outputs):
      return ActionResult(
        outputs: outputs, modelVersion: Self.modelVersion(for: action),
        removedModel: action.kind == .delete && action.address.kind == .model ? action.address.name : nil,
        message: "\(action.kind.rawValue) done")
    case .fail(let error):
      throw error
    case .flaky(let failures):
      if attempts[action.address]! <= failures { throw TargetError("temporary failure", isRetryable: true) }
      return ActionResult(message: "succeeded after \(failures) retries")
    }
  }
}
