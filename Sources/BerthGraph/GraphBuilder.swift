import BerthModel

/// Builds a `DesiredGraph`: resolves references, applies cross-resource rules, rejects cycles.
public enum GraphBuilder {
  /// `invalid` names resources that were declared but failed validation: references to them are not errors here.
  public static func build(
    _ resources: [Resource], invalid: Set<ResourceAddress> = []
  ) -> (graph: DesiredGraph, diagnostics: [Diagnostic]) {
    var byAddress: [ResourceAddress: Resource] = [:]
    byAddress.reserveCapacity(resources.count)
    for resource in resources where byAddress[resource.address] == nil {
      byAddress[resource.address] = resource
    }
    var diagnostics: [Diagnostic] = []
    var dependencies: [ResourceAddress: Set<ResourceAddress>] = [:]
    // Only an unknown reference needs the names of a kind (for its hint): grouped then, not on every build.
    var namesByKind: [ResourceKind: [String]]?

    func resolve(_ kind: ResourceKind, _ name: String, from resource: Resource, field: String, noun: String) {
      let target = ResourceAddress(kind, name)
      if byAddress[target] != nil {
        dependencies[resource.address, default: []].insert(target)
        return
      }
      if invalid.contains(target) { return }
      if namesByKind == nil { namesByKind = Dictionary(grouping: byAddress.keys, by: \.kind).mapValues { $0.map(\.name) } }
      let candidates = namesByKind?[kind] ?? []
      let hint =
        Suggestion.didYouMean(name, in: candidates)
        ?? (candidates.isEmpty ? "no \(kind.rawValue) is declared" : "declared: " + candidates.sorted().joined(separator: ", "))
      diagnostics.append(.error("unknown \(noun) '\(name)'", at: resource.location(of: field), hint: hint))
    }

    for address in byAddress.keys.sorted() {
      let resource = byAddress[address]!
      dependencies[resource.address, default: []] = []
      switch resource.spec {
      case .service(let spec):
        for (index, model) in spec.models.enumerated() {
          resolve(.model, model.name, from: resource, field: "models[\(index)]", noun: "model")
        }
        resolve(.inferenceConfig, spec.inferenceConfig, from: resource, field: "inference_config", noun: "inference config")
        resolve(.computeTarget, spec.computeTarget, from: resource, field: "compute_target", noun: "compute target")
        if let endpoint = spec.endpoint {
          resolve(.endpoint, endpoint, from: resource, field: "endpoint", noun: "endpoint")
        }
      case .endpoint(let spec):
        resolve(.computeTarget, spec.computeTarget, from: resource, field: "compute_target", noun: "compute target")
      case .inferenceConfig(let spec):
        resolve(.environment, spec.environment, from: resource, field: "environment", noun: "environment")
      case .workspace, .model, .environment, .computeTarget:
        break
      }
      for (index, address) in resource.dependsOn.enumerated() {
        if address == resource.address {
          diagnostics.append(.error("\(address) depends on itself", at: resource.location(of: "metadata.depends_on[\(index)]")))
          continue
        }
        resolve(address.kind, address.name, from: resource, field: "metadata.depends_on[\(index)]", noun: address.kind.rawValue)
      }
    }

    let (order, cycles) = TopologicalSort.sort(dependencies)
    for cycle in cycles {
      let first = cycle[0]
      let path = (cycle + [first]).map(\.description).joined(separator: " → ")
      let location = byAddress[first].map { $0.location(of: "metadata.depends_on") } ?? nil
      diagnostics.append(
        .error("dependency cycle: \(path)", at: location, hint: "remove one of these depends_on entries"))
    }
    let graph = DesiredGraph(resources: byAddress, dependencies: dependencies, order: order)
    diagnostics += TargetRules.check(graph)
    diagnostics += EndpointRules.check(graph, invalid: invalid)
    return (graph, diagnostics)
  }
}
