import BerthApply
import BerthPlan
import Foundation

/// Prints executor events as lines: start, still running, done, failed (with the log tail), skipped. On a terminal,
/// counted progress (`12/40 mini-batches, …`) is one bar redrawn in place (`ProgressBar`); elsewhere every report is
/// its own line.
final class ProgressPrinter: @unchecked Sendable {
  let terminal: Terminal
  /// Guards `barOpen`: events arrive from concurrent actions.
  private let lock = NSLock()
  /// Whether the last thing written is a bar without its newline.
  private var barOpen = false

  init(terminal: Terminal) { self.terminal = terminal }

  func print(_ event: ExecutionEvent) {
    lock.withLock {
      if case .progress(let address, let line) = event, terminal.isInteractive, let bar = ProgressBar.render(line) {
        let finished = ProgressBar.fraction(of: line).map { $0.done == $0.total } ?? false
        terminal.out("\r\u{1B}[K" + terminal.paint("\(address): \(bar)", .dim), newline: finished)
        barOpen = !finished
        return
      }
      if barOpen {
        terminal.out("")
        barOpen = false
      }
      printLine(event)
    }
  }

  private func printLine(_ event: ExecutionEvent) {
    switch event {
    case .started(let address, let kind):
      terminal.out("\(address): \(Self.gerund(kind))…")
    case .progress(let address, let line):
      terminal.out(terminal.paint("\(address): \(line)", .dim))
    case .stillRunning(let address, let kind, let seconds):
      terminal.out("\(address): still \(Self.gerund(kind))… \(seconds)s")
    case .retrying(let address, let attempt, let error):
      terminal.out(terminal.paint("\(address): attempt \(attempt) failed (\(error)); retrying", .yellow))
    case .succeeded(let address, _, let message, let seconds):
      terminal.out(
        terminal.paint("\(address): \(message.isEmpty ? "done" : message)", .green) + String(format: " [%.1fs]", seconds))
    case .warned(let address, let diagnostic):
      terminal.out(terminal.paint("\(address): \(diagnostic.severity.rawValue): \(diagnostic.message)", .yellow))
      if let hint = diagnostic.hint { terminal.out("    hint: \(hint)") }
    case .failed(let address, _, let error, let logTail):
      terminal.out(terminal.paint("\(address): failed: \(error)", .red))
      if !logTail.isEmpty {
        terminal.out("    last \(logTail.count) log lines:")
        for line in logTail { terminal.out("    | \(line)") }
      }
    case .skipped(let address, _, let because):
      terminal.out(terminal.paint("\(address): skipped (\(because))", .yellow))
    }
  }

  static func gerund(_ kind: ActionKind) -> String {
    switch kind {
    case .register: "registering"
    case .build: "building"
    case .provision: "provisioning"
    case .deploy: "deploying"
    case .update: "updating"
    case .replace: "replacing"
    case .delete: "deleting"
    case .move: "renaming"
    }
  }
}
