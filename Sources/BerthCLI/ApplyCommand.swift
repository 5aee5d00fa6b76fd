import ArgumentParser
import BerthApply
import BerthKit
import BerthPlan
import Foundation

/// `berth apply`: plan (or read a saved plan), ask, then make it so.
struct ApplyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "apply",
    abstract: "Perform the planned actions: register models, build environments, deploy services.")

  @Argument(help: "A plan saved by `berth plan --out FILE`; refused if state or manifests changed since.")
  var planFile: String?

  @OptionGroup var manifests: ManifestOptions
  @OptionGroup var execution: ExecutionOptions
  @OptionGroup var output: OutputOptions

  func run() async throws {
    try await ApplyRun(
      operation: "apply", planFile: planFile, manifests: manifests, execution: execution, output: output
    ).run()
  }
}

/// `berth destroy`: delete everything recorded.
struct DestroyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "destroy",
    abstract: "Delete every service and forget every resource Berth recorded for these manifests.")

  @OptionGroup var manifests: ManifestOptions
  @OptionGroup var execution: ExecutionOptions
  @OptionGroup var output: OutputOptions

  func run() async throws {
    try await ApplyRun(operation: "destroy", planFile: nil, manifests: manifests, execution: execution, output: output).run()
  }
}

/// Options of commands that change things.
struct ExecutionOptions: ParsableArguments {
  @Flag(name: .long, help: "Do not ask for confirmation.")
  var autoApprove = false

  @Option(name: .long, help: "Actions run at once.")
  var parallelism: Int = 10

  @Option(name: .long, help: "Seconds to wait for the state lock held by another run (0: fail at once).")
  var lockTimeout: Double = 0

  func validate() throws {
    if parallelism < 1 { throw ValidationError("--parallelism must be at least 1") }
  }
}

/// The shared body of apply and destroy.
struct ApplyRun {
  var operation: String
  var planFile: String?
  var manifests: ManifestOptions
  var execution: ExecutionOptions
  var output: OutputOptions

  func run() async throws {
    try await UserErrors.report { try await perform() }
  }

  private func perform() async throws {
    // A saved plan names the manifests it was made from; read the same ones.
    let saved = try planFile.map { try PlanJSON.decode(Data(contentsOf: URL(fileURLWithPath: $0))) }
    var manifests = self.manifests
    if let source = saved?.source {
      if let dir = manifests.dir, dir != source.dir {
        throw ValidationError("the plan was made from --dir \(source.dir), not \(dir); plan again for these manifests")
      }
      manifests.dir = source.dir
      if manifests.overlay.isEmpty { manifests.overlay = source.overlays }
    }
    let terminal = Terminal(noColorFlag: output.noColor)
    let reconciler = Reconciler.standard()
    let (validation, workspace, store) = try WorkspaceAccess.openValid(manifests, reconciler: reconciler, terminal: terminal)
    let summary: ExecutionSummary? = try await reconciler.withLock(store, operation: operation, timeout: execution.lockTimeout) {
      // The manifests were validated above; only the state must be read under the lock.
      let (context, diagnostics) = try await reconciler.prepare(validation: validation, workspace: workspace, store: store)
      let plan: Plan
      if let saved {
        plan = saved
      } else {
        plan = reconciler.plan(context, destroy: operation == "destroy")
      }
      terminal.printDiagnostics(diagnostics.filter { $0.severity != .error && !plan.diagnostics.contains($0) })
      terminal.out(terminal.planRenderer.render(plan), newline: false)
      if plan.diagnostics.hasErrors { throw ExitCode(1) }
      guard plan.hasChanges else { return nil }
      if planFile == nil && !execution.autoApprove {
        guard try Approval.ask("\nDo you want to perform these actions? Only 'yes' will be accepted: ", terminal: terminal) else {
          terminal.out("Cancelled; nothing was changed.")
          throw ExitCode(1)
        }
      }
      terminal.out("")
      let progress = ProgressPrinter(terminal: terminal)
      // From a clean git work tree, every record written says which commit it came from (`plan`/`drift` compare).
      return try await reconciler.apply(
        plan, context: context, parallelism: execution.parallelism, source: SourcePosition.commitForApply(path: manifests.path),
        events: progress.print)
    }
    guard let summary else { return }
    terminal.out("")
    terminal.out(
      "\(operation == "destroy" ? "Destroy" : "Apply") complete: \(summary.succeeded.count) succeeded, "
        + "\(summary.failed.count) failed, \(summary.skipped.count) skipped.")
    if !summary.isSuccess { throw ExitCode(1) }
  }
}

/// Interactive confirmation.
enum Approval {
  static func ask(_ prompt: String, terminal: Terminal) throws -> Bool {
    guard isatty(STDIN_FILENO) == 1 else {
      throw ValidationError("apply needs approval: run it in a terminal, or pass --auto-approve (for example in CI)")
    }
    terminal.out(prompt, newline: false)
    return readLine()?.trimmingCharacters(in: .whitespaces) == "yes"
  }
}
