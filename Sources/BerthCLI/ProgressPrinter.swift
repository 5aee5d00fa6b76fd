import BerthApply
import BerthPlan
import Foundation

/// Prints executor events as lines: start, still running, done, failed (with the log tail), skipped.
struct ProgressPrinter: Sendable {
  let terminal: Terminal

  func print(_ event: ExecutionEvent) {
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
