import BerthModel
import Crypto
import Foundation

/// Orders a change set into a plan: creates and updates after what they depend on, deletes before
/// what their dependents needed is removed, i.e. in reverse dependency order.
public enum Planner {
  public static func plan(_ input: PlanInput, destroy: Bool = false) -> Plan {
    let changeSet = destroy ? Differ.destroy(input) : Differ.diff(input)
    var plan = order(changeSet, fingerprint: fingerprint(input), operation: destroy ? "destroy" : "apply")
    for index in plan.actions.indices {
      let action = plan.actions[index]
      plan.actions[index].steps = RolloutStep.steps(
        for: action.kind, address: action.address, recorded: input.state.resources[action.movedFrom ?? action.address],
        graph: input.graph)
    }
    return plan
  }

  public static func fingerprint(_ input: PlanInput) -> PlanFingerprint {
    // One buffer hashed once: a Data and an interpolated string per line cost more than the hashing at 100,000.
    var text: [UInt8] = []
    text.reserveCapacity(input.contentDigests.count * 100)
    // In the graph's order, which is already deterministic; sorted only if some digest is of an address outside it.
    var ordered = input.graph.order.compactMap { address in input.contentDigests[address].map { (address, $0) } }
    if ordered.count != input.contentDigests.count { ordered = input.contentDigests.sorted { $0.key < $1.key } }
    for (address, digest) in ordered {
      text.append(contentsOf: address.kind.addressPrefix.utf8)
      text.append(UInt8(ascii: "/"))
      text.append(contentsOf: address.name.utf8)
      text.append(UInt8(ascii: "="))
      text.append(contentsOf: digest.utf8)
      text.append(UInt8(ascii: "\n"))
    }
    var hasher = SHA256()
    hasher.update(data: Data(input.manifestsDigest.utf8))
    hasher.update(data: text)
    return PlanFingerprint(
      stateSerial: input.state.serial, inputsDigest: Hex.encode(hasher.finalize()))
  }

  static func order(_ changeSet: ChangeSet, fingerprint: PlanFingerprint, operation: String) -> Plan {
    let planned = Dictionary(uniqueKeysWithValues: changeSet.changes.map { ($0.address, $0) })
    var actions: [ResourceAddress: PlannedAction] = [:]
    for change in changeSet.changes {
      var dependsOn: Set<ResourceAddress> = []
      if change.kind == .delete {
        // Whatever depended on this resource must be changed or removed first.
        for other in changeSet.changes where other.address != change.address {
          let uses = other.kind == .delete ? other.recordedDependencies : other.dependencies + other.recordedDependencies
          if uses.contains(change.address) { dependsOn.insert(other.address) }
        }
      } else {
        for dependency in change.dependencies where planned[dependency] != nil && planned[dependency]!.kind != .delete {
          dependsOn.insert(dependency)
        }
      }
      actions[change.address] = PlannedAction(
        kind: change.kind, address: change.address, reason: change.reasons.joined(separator: "; "), changes: change.changes,
        dependsOn: dependsOn.sorted(), attributes: change.attributes, dependencies: change.dependencies,
        movedFrom: change.movedFrom)
    }
    return Plan(
      actions: topologicalOrder(actions), unchanged: changeSet.unchanged.sorted(),
      diagnostics: changeSet.diagnostics, fingerprint: fingerprint, operation: operation)
  }

  /// Dependencies first; among ready actions, creates and updates before deletes, then by address.
  static func topologicalOrder(_ actions: [ResourceAddress: PlannedAction]) -> [PlannedAction] {
    var remaining = actions.mapValues { Set($0.dependsOn.filter { actions[$0] != nil }) }
    var dependents: [ResourceAddress: [ResourceAddress]] = [:]
    for (address, deps) in remaining {
      for dep in deps { dependents[dep, default: []].append(address) }
    }
    func rank(_ a: ResourceAddress) -> (Int, ResourceAddress) { (actions[a]!.kind == .delete ? 1 : 0, a) }
    var layer = remaining.filter { $0.value.isEmpty }.map(\.key).sorted { rank($0) < rank($1) }
    var result: [PlannedAction] = []
    var placed: Set<ResourceAddress> = []
    while !layer.isEmpty {
      var next: [ResourceAddress] = []
      for address in layer {
        result.append(actions[address]!)
        placed.insert(address)
        for dependent in dependents[address] ?? [] {
          remaining[dependent]!.remove(address)
          if remaining[dependent]!.isEmpty { next.append(dependent) }
        }
      }
      layer = next.sorted { rank($0) < rank($1) }
    }
    // The desired graph has no cycles and deletes follow recorded edges, so everything is placed; be safe anyway.
    result += actions.keys.filter { !placed.contains($0) }.sorted().map { actions[$0]! }
    return result
  }
}
