import ArgumentParser
import BerthGraph
import BerthKit
import BerthModel
import Foundation

/// `berth graph`: the desired-state graph as Graphviz DOT, or SVG when `dot` is installed.
struct GraphCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "graph", abstract: "Print the resource graph (DOT or SVG).")

  enum Format: String, ExpressibleByArgument, CaseIterable { case dot, svg }

  @OptionGroup var manifests: ManifestOptions
  @OptionGroup var output: OutputOptions
  @Option(help: "dot or svg (svg needs Graphviz's `dot`).") var format: Format = .dot

  func run() async throws {
    let validation = Validation.run(path: manifests.path, overlays: manifests.overlay)
    guard validation.isValid else {
      Terminal(noColorFlag: output.noColor, fileDescriptor: STDERR_FILENO).printDiagnostics(validation.diagnostics)
      throw ExitCode(1)
    }
    let dot = DotRenderer.render(validation.graph)
    switch format {
    case .dot:
      print(dot, terminator: "")
    case .svg:
      guard let svg = try GraphvizSVG.render(dot) else {
        throw ValidationError("Graphviz `dot` was not found; install it (Debian: graphviz) or use --format dot")
      }
      FileHandle.standardOutput.write(svg)
    }
  }
}
