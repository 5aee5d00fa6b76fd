import BerthModel
import BerthPlan
import BerthState
import Foundation

/// Performs one planned action against the world (model store, environment builder, target provider).
public protocol ActionPerforming: Sendable {
  func perform(_ action: PlannedAction, context: ActionContext) async throws -> ActionResult
}

/// What a performer may use while it works.
public struct ActionContext: Sendable {
  public var applyID: Int64
  /// Reports a progress line ("building environment sklearn-env…").
  public var progress: @Sendable (String) -> Void

  public init(applyID: Int64, progress: @escaping @Sendable (String) -> Void) {
    self.applyID = applyID
    self.progress = progress
  }
}

/// What a finished action produced, to be recorded with it.
public struct ActionResult: Sendable {
  public var outputs: Attributes
  public var modelVersion: ModelVersionRecord?
  public var removedModel: String?
  public var message: String
  /// Warnings from the target about a change that succeeded; each becomes a `warned` event.
  public var diagnostics: [Diagnostic]

  public init(
    outputs: Attributes = [:], modelVersion: ModelVersionRecord? = nil, removedModel: String? = nil, message: String = "",
    diagnostics: [Diagnostic] = []
  ) {
    self.outputs = outputs
    self.modelVersion = modelVersion
    self.removedModel = removedModel
    self.message = message
    self.diagnostics = diagnostics
  }
}
