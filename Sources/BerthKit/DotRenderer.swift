import BerthGraph
import BerthModel
import Foundation

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

  /// Runs Graphviz `dot -Tsvg`; nil when it is not installed.
  public static func svg(_ dot: String) throws -> Data? {
    let candidates = ["/usr/bin/dot", "/usr/local/bin/dot"]
    guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = ["-Tsvg"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    input.fileHandleForWriting.write(Data(dot.utf8))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return data
  }
}
