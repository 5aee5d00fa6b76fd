import BerthGraph
import BerthModel
import BerthState

/// One thing the performer does, in order, to carry out a service's action; the planner decides them.
///
/// The performer only dispatches steps, so deploy-or-update-or-replace and their order are decided once, here,
/// and shown in the plan (tuist's mappers return side effects as values the same way).
public enum RolloutStep: String, Hashable, Sendable, Codable, CaseIterable {
  /// Build the service's image and push it (container targets), before anything that runs is touched.
  case buildImage = "build_image"
  /// Remove what runs of the service as recorded: on its recorded target, under its recorded instance.
  case deleteOld = "delete_old"
  /// Start the service where nothing of it runs.
  case deploy
  /// Start the new revision beside the running one, wait until it is healthy, then retire the old one.
  case rollOut = "roll_out"

  /// How the plan text names the step.
  public var phrase: String {
    switch self {
    case .buildImage: "build image"
    case .deleteOld: "delete old"
    case .deploy: "deploy"
    case .rollOut: "roll out"
    }
  }

  /// The steps of `kind` for the service at `address`: `recorded` is its record (under its old name when renamed).
  public static func steps(
    for kind: ActionKind, address: ResourceAddress, recorded: ResourceRecord?, graph: DesiredGraph
  ) -> [RolloutStep] {
    guard address.kind == .service else { return [] }
    let build: [RolloutStep] = runsContainers(address, graph) ? [.buildImage] : []
    switch kind {
    case .move: return []
    case .delete: return [.deleteOld]
    case .replace: return build + [.deleteOld, .deploy]
    case .register, .build, .provision, .deploy, .update: return build + [recorded == nil ? .deploy : .rollOut]
    }
  }

  /// Whether the service's desired compute target runs images (every type but `local` and `batch`).
  static func runsContainers(_ service: ResourceAddress, _ graph: DesiredGraph) -> Bool {
    guard case .service(let spec)? = graph[service]?.spec,
      case .computeTarget(let target)? = graph[ResourceAddress(.computeTarget, spec.computeTarget)]?.spec
    else { return false }
    return target.runsImages
  }
}
