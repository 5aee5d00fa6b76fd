import BerthModel

/// The plan as a pull-request comment: counts, then one collapsible block per action.
public enum PlanMarkdownRenderer {
  public static func render(_ plan: Plan) -> String {
    var text = "### Berth plan\n\n"
    if !plan.diagnostics.isEmpty {
      text += "**Problems:**\n\n```\n" + plan.diagnostics.map(\.description).joined(separator: "\n") + "\n```\n\n"
    }
    guard plan.hasChanges else {
      return text + "No changes: the manifests match the recorded state and what runs.\n"
    }
    text += "| action | count |\n|---|---:|\n"
    for kind in ActionKind.allCases where plan.summary[kind]! > 0 {
      text += "| \(kind.rawValue) | \(plan.summary[kind]!) |\n"
    }
    text += "\n"
    for action in plan.actions {
      text +=
        "<details><summary><code>\(action.kind.symbol) \(action.address)</code> \(action.kind.rawValue): \(escape(action.reason))</summary>\n\n"
      if action.changes.isEmpty || action.kind == .delete {
        text += "No field changes shown.\n"
      } else {
        text += "| field | before | after |\n|---|---|---|\n"
        for change in action.changes {
          text +=
            "| `\(change.path)` | \(cell(PlanTextRenderer.shown(change.before, path: change.path))) | \(cell(PlanTextRenderer.shown(change.after, path: change.path))) |\n"
        }
      }
      text += "\n</details>\n"
    }
    return text + "\n" + PlanTextRenderer.summaryLine(plan) + "\n"
  }

  private static func cell(_ text: String) -> String { "`" + text.replacingOccurrences(of: "|", with: "\\|") + "`" }

  private static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
  }
}
