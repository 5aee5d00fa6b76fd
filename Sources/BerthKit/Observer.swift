import BerthGraph
import BerthModel
import BerthState
import BerthTargetAPI

/// Asks each compute target, once, how the services recorded on it are doing.
struct Observer: Sendable {
  let targets: Targets

  /// Observations by service, endpoint and (for targets that create it) compute target address; targets without a provider are left out (nothing is known about them).
  func observe(graph: DesiredGraph, state: StateSnapshot) async -> (
    observations: [ResourceAddress: Observation], diagnostics: [Diagnostic]
  ) {
    var byTarget: [String: [ObservedService]] = [:]
    var endpointsByTarget: [String: [ObservedService]] = [:]
    for (address, record) in state.resources where address.kind == .service || address.kind == .endpoint {
      guard case .string(let target)? = record.attributes["compute_target"] else { continue }
      let observed = ObservedService(name: address.name, recordedOutputs: record.outputs)
      if address.kind == .service {
        byTarget[target, default: []].append(observed)
      } else {
        endpointsByTarget[target, default: []].append(observed)
      }
    }
    for target in endpointsByTarget.keys where byTarget[target] == nil { byTarget[target] = [] }
    // A compute target that Berth created (a managed cluster records its `resource_id`) is observed for drift even
    // when nothing runs on it yet.
    for (address, record) in state.resources where address.kind == .computeTarget && record.outputs["resource_id"] != nil {
      if byTarget[address.name] == nil { byTarget[address.name] = [] }
    }
    var observations: [ResourceAddress: Observation] = [:]
    var diagnostics: [Diagnostic] = []
    for (targetName, services) in byTarget.sorted(by: { $0.key < $1.key }) {
      guard let spec = Self.computeTarget(targetName, graph: graph, state: state), let provider = targets.providers[spec.type]
      else {
        continue
      }
      do {
        let response = try await provider.observe(
          ObserveRequest(
            computeTargetName: targetName, computeTarget: spec, services: services.sorted { $0.name < $1.name },
            endpoints: (endpointsByTarget[targetName] ?? []).sorted { $0.name < $1.name }))
        for (name, observation) in response.services { observations[ResourceAddress(.service, name)] = observation }
        for (name, observation) in response.endpoints { observations[ResourceAddress(.endpoint, name)] = observation }
        if let target = response.computeTarget { observations[ResourceAddress(.computeTarget, targetName)] = target }
        diagnostics += response.diagnostics
      } catch {
        diagnostics.append(
          .warning("could not observe compute target '\(targetName)': \(error); planning from recorded state only"))
      }
    }
    return (observations, diagnostics)
  }

  static func computeTarget(_ name: String, graph: DesiredGraph, state: StateSnapshot) -> ComputeTargetSpec? {
    let address = ResourceAddress(.computeTarget, name)
    if case .computeTarget(let spec)? = graph[address]?.spec { return spec }
    guard let record = state.resources[address], case .string(let type)? = record.attributes["type"],
      let computeType = ComputeType(rawValue: type)
    else { return nil }
    var settings = record.attributes
    settings["type"] = nil
    return ComputeTargetSpec(type: computeType, settings: settings)
  }
}
