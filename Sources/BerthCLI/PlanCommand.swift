import ArgumentParser
import BerthKit
import BerthPlan
import Foundation

/// `berth plan`: what apply would do and why, without changing anything.
struct PlanCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Show the actions apply would take, each with its reason.",
    discussion: "Exit codes: 0 success (with --detailed-exitcode: no changes), 1 error, 2 changes (with --detailed-exitcode).")

  @OptionGroup var manifests: ManifestOptions
  @OptionGroup var output: OutputOptions

  @Option(name: .long, help: "Also save the plan to FILE; `berth apply FILE` runs exactly it.")
  var out: String?

  @Flag(name: .long, help: "Print the plan as JSON (docs/plan-json.md).")
  var json = false

  @Flag(name: .long, help: "Print the plan as Markdown, for a pull-request comment.")
  var markdown = false

  @Flag(name: .long, help: "Exit 2 when there are changes, 0 when there are none.")
  var detailedExitcode = false

  @Flag(name: .long, help: "Plan from recorded state only, without asking targets what runs.")
  var noRefresh = false

  @Flag(name: .long, help: "Plan the deletion of everything recorded.")
  var destroy = false

  func validate() throws {
    if json && markdown { throw ValidationError("--json and --markdown cannot be combined") }
  }

  func run() async throws {
    try await UserErrors.report { try await perform() }
  }

  private func perform() async throws {
    let terminal = Terminal(noColorFlag: output.noColor)
    let reconciler = Reconciler.standard()
    let (context, diagnostics) = try await reconciler.prepare(
      path: manifests.path, overlays: manifests.overlay, observe: !noRefresh, access: .read)
    guard let context else {
      terminal.printDiagnostics(diagnostics)
      throw ExitCode(1)
    }
    var timings = context.timings
    var plan = timings.measure("plan (diff and order)") { reconciler.plan(context, destroy: destroy) }
    if PhaseTimings.requested { FileHandle.standardError.write(Data(timings.report.utf8)) }
    KeptUntilExit.keep(context)
    plan.source = PlanSource(dir: manifests.path, overlays: manifests.overlay)
    if let out {
      try PlanJSON.encode(plan).write(to: URL(fileURLWithPath: out))
    }
    if json {
      FileHandle.standardOutput.write(try PlanJSON.encode(plan))
    } else if markdown {
      terminal.out(PlanMarkdownRenderer.render(plan), newline: false)
    } else {
      // The plan text shows its own diagnostics (observation and target checks); print only the others.
      terminal.printDiagnostics(diagnostics.filter { $0.severity != .error && !plan.diagnostics.contains($0) })
      terminal.out(terminal.planRenderer.render(plan), newline: false)
      if let position = SourcePosition.line(state: context.input.state, path: manifests.path) { terminal.out(position) }
      if let out { terminal.out("\nSaved the plan to \(out). Run `berth apply \(out)` to perform exactly these actions.") }
    }
    if plan.diagnostics.hasErrors { throw ExitCode(1) }
    if detailedExitcode && plan.hasChanges { throw ExitCode(2) }
  }
}
