import BerthGraph
import BerthModel
import BerthState
import BerthTargetAPI

/// Everything a plan is computed from, gathered by the shell beforehand.
public struct PlanInput: Sendable {
  public var graph: DesiredGraph
  /// sha256 (hex) of each model's bytes, environment's conda file and inference config's source tree.
  public var contentDigests: [ResourceAddress: String]
  public var state: StateSnapshot
  /// What the targets reported for recorded services.
  public var observations: [ResourceAddress: Observation]
  /// Digest of the manifest files, for the plan's fingerprint.
  public var manifestsDigest: String
  /// Problems met while observing (a target that could not be reached); shown with the plan.
  public var observationDiagnostics: [Diagnostic] = []

  public init(
    graph: DesiredGraph, contentDigests: [ResourceAddress: String], state: StateSnapshot,
    observations: [ResourceAddress: Observation] = [:], manifestsDigest: String
  ) {
    self.graph = graph
    self.contentDigests = contentDigests
    self.state = state
    self.observations = observations
    self.manifestsDigest = manifestsDigest
  }
}
