import ArgumentParser
import BerthKit
import BerthPlan
import Foundation

/// `berth drift`: read-only; has reality left the repository?
struct DriftCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "drift",
    abstract: "Report resources changed outside Berth and manifest changes not yet applied (read-only).",
    discussion: "Exit codes: 0 no drift, 2 drift or pending changes, 1 error. Takes no lock and changes nothing.")

  @OptionGroup var manifests: ManifestOptions
  @OptionGroup var output: OutputOptions
  @Flag(name: .long, help: "Print the report as JSON (docs/drift-json.md).") var json = false

  func run() async throws {
    try await UserErrors.report {
      let terminal = Terminal(noColorFlag: output.noColor)
      let reconciler = Reconciler.standard()
      let (context, diagnostics) = try await reconciler.prepare(
        path: manifests.path, overlays: manifests.overlay, access: .read)
      guard let context else {
        terminal.printDiagnostics(diagnostics)
        throw ExitCode(1)
      }
      let report = DriftReport.make(context.input)
      if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
      } else {
        terminal.printDiagnostics(diagnostics.filter { $0.severity != .error })
        terminal.out(DriftTextRenderer.render(report), newline: false)
        if let position = SourcePosition.line(state: context.input.state, path: manifests.path) { terminal.out(position) }
      }
      if !report.isClean { throw ExitCode(2) }
    }
  }
}

/// `berth show PLANFILE`: a saved plan, as text or JSON.
struct ShowCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Print a plan saved with `berth plan --out FILE`.")
  @Argument(help: "The saved plan.") var planFile: String
  @OptionGroup var output: OutputOptions
  @Flag(name: .long, help: "Print it as JSON.") var json = false
  @Flag(name: .long, help: "Print it as Markdown.") var markdown = false

  func run() async throws {
    try await UserErrors.report {
      let plan = try PlanJSON.decode(Data(contentsOf: URL(fileURLWithPath: planFile)))
      let terminal = Terminal(noColorFlag: output.noColor)
      if json {
        FileHandle.standardOutput.write(try PlanJSON.encode(plan))
      } else if markdown {
        terminal.out(PlanMarkdownRenderer.render(plan), newline: false)
      } else {
        terminal.out(terminal.planRenderer.render(plan), newline: false)
      }
    }
  }
}
