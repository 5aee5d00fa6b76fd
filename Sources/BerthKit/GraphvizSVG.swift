import BerthProcess
import Foundation

/// Turns DOT text into SVG with Graphviz's `dot`, through the one process runner.
public enum GraphvizSVG {
  /// How long `dot` may take; a graph of thousands of resources lays out in seconds.
  static let timeout = Duration.seconds(120)

  /// The SVG bytes, or nil when `dot` is not installed.
  public static func render(_ dot: String, searchPath: String? = ProcessInfo.processInfo.environment["PATH"]) throws -> Data? {
    guard let executable = ExecutableSearch.resolve("dot", searchPath: searchPath) else { return nil }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("berth-graph-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // Files, not pipes: the runner merges a program's two output streams, and Graphviz warns on stderr.
    let input = folder + "/graph.dot"
    let output = folder + "/graph.svg"
    try Data(dot.utf8).write(to: URL(fileURLWithPath: input))
    let result = try SpawnedCommandRunner().run(Command(executable, ["-Tsvg", "-o", output, input], timeout: timeout))
    guard result.succeeded else {
      let reason = result.timedOut ? "did not finish within \(Int(timeout.inSeconds)) s" : "exited with \(result.exitCode)"
      throw CommandError("Graphviz dot \(reason): \(result.lastLines(5).joined(separator: " "))")
    }
    return try Data(contentsOf: URL(fileURLWithPath: output))
  }
}
