import BerthModel

/// The desired graph as Graphviz DOT: one node per resource, an edge from each resource to what it needs.
public enum DotRenderer {
  public static func render(_ graph: DesiredGraph) -> String {
    var lines = ["digraph berth {", "  rankdir=LR;", "  node [shape=box, style=rounded, fontname=\"Helvetica\"];"]
    for address in graph.order {
      lines.append("  \"\(address)\" [label=\"\(address.kind.rawValue)\\n\(address.name)\"];")
    }
    for address in graph.order {
      for dependency in (graph.dependencies[address] ?? []).sorted() {
        lines.append("  \"\(address)\" -> \"\(dependency)\";")
      }
    }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }
}
