import BerthGraph
import BerthManifest
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
    var diagnostics = endpointChecks(graph)
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

  /// An error, not a warning, for every endpoint on a target type no gateway serves: applying it would record
  /// an endpoint that routes nothing, while its services answered on their own ports without the endpoint's
  /// `auth_mode` — a declared key check silently missing. Flipping `TargetSupport.endpointTypes` lifts it.
  static func endpointChecks(_ graph: DesiredGraph) -> [Diagnostic] {
    graph.resources(of: .endpoint).compactMap { endpoint -> Diagnostic? in
      guard case .endpoint(let spec) = endpoint.spec, let target = graph.computeTarget(of: spec),
        !TargetSupport.endpointTypes.contains(target.type)
      else { return nil }
      return .error(
        "endpoint '\(endpoint.address.name)' is on compute target '\(spec.computeTarget)' of type \(target.type.rawValue), where no provider of this build serves endpoints yet",
        at: endpoint.location,
        hint:
          "nothing would route its traffic or check its auth_mode; deploy the services without 'endpoint' until the gateway serves \(target.type.rawValue) targets (docs/endpoints.md)"
      )
    }
  }
}
