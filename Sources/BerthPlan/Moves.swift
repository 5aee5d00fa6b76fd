import BerthGraph
import BerthModel
import BerthState
import BerthTargetAPI

/// Renames declared with `metadata.previous_names`: which recorded resource each renamed one continues.
///
/// A resource with no record of its own takes over the record of one of its previous names, as long as
/// no declared resource still has that name. The plan then diffs against the moved record, so a rename
/// alone changes nothing on the target; a renamed model keeps its registered versions.
public struct Moves: Hashable, Sendable {
  /// Old address by new address.
  public var sources: [ResourceAddress: ResourceAddress]
  public var diagnostics: [Diagnostic]

  public init(sources: [ResourceAddress: ResourceAddress] = [:], diagnostics: [Diagnostic] = []) {
    self.sources = sources
    self.diagnostics = diagnostics
  }

  /// Finds the moves the manifests ask for in what is recorded.
  public static func resolve(graph: DesiredGraph, state: StateSnapshot) -> Moves {
    var moves = Moves()
    var claimedBy: [ResourceAddress: ResourceAddress] = [:]
    for address in graph.order {
      guard let resource = graph[address], !resource.previousNames.isEmpty else { continue }
      let location = resource.location(of: "metadata.previous_names")
      let recorded = resource.previousNames.map { ResourceAddress(address.kind, $0) }.filter { old in
        state.resources[old] != nil && graph[old] == nil
      }
      guard !recorded.isEmpty else { continue }
      if state.resources[address] != nil {
        moves.diagnostics.append(
          .warning(
            "\(address) is already recorded, so its previous name \(recorded[0]) is not moved to it; the plan deletes \(recorded[0])",
            at: location, hint: "`berth state rm \(recorded[0])` forgets it without touching what runs"))
        continue
      }
      guard recorded.count == 1 else {
        moves.diagnostics.append(
          .error(
            "\(address) lists several previous names that are all recorded (\(recorded.map(\.description).joined(separator: ", "))); Berth cannot tell which one it continues",
            at: location, hint: "keep only the name it had when it was last applied"))
        continue
      }
      let old = recorded[0]
      if let other = claimedBy[old] {
        moves.diagnostics.append(
          .error(
            "\(old) is listed in previous_names of both \(other) and \(address); one record cannot move to two resources",
            at: location, hint: "remove it from one of them"))
        moves.sources[other] = nil
        continue
      }
      claimedBy[old] = address
      moves.sources[address] = old
    }
    return moves
  }

  /// The plan input as if the moves had been recorded: records, model versions and observations under the new names.
  public func applied(to input: PlanInput) -> PlanInput {
    guard !sources.isEmpty else { return input }
    var input = input
    for (new, old) in sources {
      guard var record = input.state.resources.removeValue(forKey: old) else { continue }
      record.address = new
      input.state.resources[new] = record
      if new.kind == .model, let versions = input.state.modelVersions.removeValue(forKey: old.name) {
        input.state.modelVersions[new.name] = versions.map { version in
          var moved = version
          moved.name = new.name
          return moved
        }
      }
      if let observation = input.observations.removeValue(forKey: old) { input.observations[new] = observation }
    }
    return input
  }
}
