import ArgumentParser
import BerthKit
import BerthModel
import Foundation

/// `berth validate`: every problem in the manifests, with file:line:col.
struct ValidateCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Check manifests: syntax, schema, references, cycles, paths and contradictory settings.")

  @OptionGroup var manifests: ManifestOptions
  @OptionGroup var output: OutputOptions

  func run() async throws {
    let terminal = Terminal(noColorFlag: output.noColor, fileDescriptor: STDERR_FILENO)
    let validation = Validation.run(path: manifests.path, overlays: manifests.overlay)
    for diagnostic in validation.diagnostics {
      terminal.err(terminal.render(diagnostic))
    }
    let errors = validation.diagnostics.filter { $0.severity == .error }.count
    let warnings = validation.diagnostics.filter { $0.severity == .warning }.count
    if errors > 0 {
      terminal.err("\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
      throw ExitCode(1)
    }
    let count = validation.manifests.resources.count
    let files = validation.manifests.files.count
    Terminal(noColorFlag: output.noColor).out(
      "Valid: \(count) resource\(count == 1 ? "" : "s") in \(files) file\(files == 1 ? "" : "s")"
        + (warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : "") + ".")
  }
}
