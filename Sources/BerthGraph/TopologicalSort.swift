import BerthModel

/// Kahn's algorithm with deterministic tie-breaking, and the cycles that block it.
enum TopologicalSort {
  /// Returns addresses with dependencies first, and each cycle found (as a list of its members, in edge order).
  static func sort(_ dependencies: [ResourceAddress: Set<ResourceAddress>]) -> (
    order: [ResourceAddress], cycles: [[ResourceAddress]]
  ) {
    var remaining = dependencies.mapValues { $0.filter { dependencies[$0] != nil }.count }
    var dependents: [ResourceAddress: [ResourceAddress]] = [:]
    for (node, deps) in dependencies {
      for dep in deps where dependencies[dep] != nil { dependents[dep, default: []].append(node) }
    }
    // Layer by layer: everything whose dependencies are placed, sorted. Deterministic and O(n log n).
    var layer = remaining.filter { $0.value == 0 }.map(\.key).sorted()
    var order: [ResourceAddress] = []
    order.reserveCapacity(dependencies.count)
    while !layer.isEmpty {
      order.append(contentsOf: layer)
      var next: [ResourceAddress] = []
      for node in layer {
        for dependent in dependents[node] ?? [] {
          remaining[dependent]! -= 1
          if remaining[dependent] == 0 { next.append(dependent) }
        }
      }
      layer = next.sorted()
    }
    guard order.count < dependencies.count else { return (order, []) }
    let placed = Set(order)
    let blocked = dependencies.filter { !placed.contains($0.key) }
    return (order, findCycles(in: blocked))
  }

  /// One representative cycle per strongly connected group of blocked nodes.
  private static func findCycles(in graph: [ResourceAddress: Set<ResourceAddress>]) -> [[ResourceAddress]] {
    var cycles: [[ResourceAddress]] = []
    var covered: Set<ResourceAddress> = []
    for start in graph.keys.sorted() where !covered.contains(start) {
      // Walk from `start` along blocked edges until a node repeats; the repeat closes a cycle.
      var path: [ResourceAddress] = []
      var indexInPath: [ResourceAddress: Int] = [:]
      var current: ResourceAddress? = start
      while let node = current, indexInPath[node] == nil {
        indexInPath[node] = path.count
        path.append(node)
        current = graph[node]?.filter { graph[$0] != nil }.sorted().first
      }
      if let node = current, let index = indexInPath[node] {
        let cycle = Array(path[index...])
        if covered.isDisjoint(with: cycle) {
          let rotated = rotateToSmallest(cycle)
          cycles.append(rotated)
        }
        covered.formUnion(cycle)
      }
      covered.formUnion(path)
    }
    return cycles
  }

  private static func rotateToSmallest(_ cycle: [ResourceAddress]) -> [ResourceAddress] {
    guard let smallest = cycle.indices.min(by: { cycle[$0] < cycle[$1] }) else { return cycle }
    return Array(cycle[smallest...] + cycle[..<smallest])
  }
}
