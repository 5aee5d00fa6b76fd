import BerthGraph
import BerthModel
import BerthState
import BerthTargetAPI

/// The checks only a target can make, run before a plan: is there a provider for each compute target
/// that services use, and what does each provider say about its services (ports, files on this machine)?
///
/// Kept out of `berth validate`, which judges the manifests alone and gives the same answer on every
/// machine; these answers depend on the machine and on what runs.
enum TargetChecks {
  static func run(graph: DesiredGraph, state: StateSnapshot, targets: Targets) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    var reportedTargets: Set<String> = []
    for service in graph.resources(of: .service) {
      guard case .service(let spec) = service.spec, let target = graph.computeTarget(of: spec) else { continue }
      guard let provider = targets.providers[target.type] else {
        if reportedTargets.insert(spec.computeTarget).inserted {
          let targetResource = graph[ResourceAddress(.computeTarget, spec.computeTarget)]
          diagnostics.append(
            .error(
              "compute target '\(spec.computeTarget)' is of type \(target.type.rawValue), which this build of Berth cannot deploy to",
              at: targetResource?.location(of: "type") ?? service.location(of: "compute_target"),
              hint: "supported types: " + targets.providers.keys.map(\.rawValue).sorted().joined(separator: ", ")))
        }
        continue
      }
      let recorded = state.resources[service.address]?.outputs ?? [:]
      diagnostics += provider.validate(ValidateRequest(service: service, computeTarget: target, recordedOutputs: recorded))
    }
    return diagnostics
  }
}
