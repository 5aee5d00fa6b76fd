import BerthModel

/// The human plan: one block per action with its reason and field changes, then a summary line.
public struct PlanTextRenderer: Sendable {
  /// Colours a span; the identity when colour is off.
  public var paint: @Sendable (String, PlanStyle) -> String

  public init(paint: @escaping @Sendable (String, PlanStyle) -> String = { text, _ in text }) {
    self.paint = paint
  }

  public func render(_ plan: Plan) -> String {
    var lines: [String] = []
    for diagnostic in plan.diagnostics {
      lines.append(diagnostic.description)
    }
    if !plan.diagnostics.isEmpty { lines.append("") }
    guard plan.hasChanges else {
      lines.append(
        plan.operation == "destroy"
          ? "No changes. Nothing is recorded, so there is nothing to destroy."
          : "No changes. The manifests match the recorded state and what runs.")
      return lines.joined(separator: "\n") + "\n"
    }
    lines.append("Berth will perform these actions, in this order:")
    lines.append("")
    for action in plan.actions {
      let style = PlanStyle(action.kind)
      lines.append("  " + paint("\(action.kind.symbol) \(action.address)", style) + " " + paint(action.kind.rawValue, .bold))
      lines.append("      " + paint("because: \(action.reason)", .dim))
      if !action.steps.isEmpty {
        lines.append("      " + paint("steps: " + action.steps.map(\.phrase).joined(separator: " → "), .dim))
      }
      if action.kind != .delete {
        let width = action.changes.map(\.path.count).max() ?? 0
        for change in action.changes {
          lines.append("      " + line(for: change, width: width))
        }
      }
      if !action.dependsOn.isEmpty {
        lines.append("      " + paint("after: " + action.dependsOn.map(\.description).joined(separator: ", "), .dim))
      }
    }
    lines.append("")
    lines.append(Self.summaryLine(plan))
    return lines.joined(separator: "\n") + "\n"
  }

  public static func summaryLine(_ plan: Plan) -> String {
    let counts = plan.summary
    // Renames are rare: they are counted only when there are some, so ordinary plans read as before.
    let parts = ActionKind.allCases.filter { $0 != .move || counts[$0]! > 0 }.map { "\(counts[$0]!) to \($0.rawValue)" }
    return "Plan: " + parts.joined(separator: ", ") + "."
  }

  private func line(for change: FieldChange, width: Int) -> String {
    let padded = change.path.padding(toLength: width, withPad: " ", startingAt: 0)
    let before = Self.shown(change.before, path: change.path)
    let after = Self.shown(change.after, path: change.path)
    switch (change.before, change.after) {
    case (nil, _?): return paint("+ \(padded) = \(after)", .create)
    case (_?, nil): return paint("- \(padded) = \(before)", .delete)
    default: return paint("~ \(padded) = \(before) → \(after)", .update)
    }
  }

  /// A value as printed: secrets masked, long digests shortened.
  static func shown(_ value: FieldValue?, path: String) -> String {
    guard let value else { return "(none)" }
    if Sensitivity.isSensitive(path) { return Sensitivity.mask }
    if path.hasSuffix("sha256"), case .string(let digest) = value, digest.count > 16 {
      return "\"\(digest.prefix(12))…\""
    }
    return value.description
  }
}

/// Roles of plan text, mapped to colours by the terminal.
public enum PlanStyle: Sendable {
  case create, update, replace, delete, bold, dim

  init(_ kind: ActionKind) {
    switch kind {
    case .register, .build, .provision, .deploy: self = .create
    case .update, .move: self = .update
    case .replace: self = .replace
    case .delete: self = .delete
    }
  }
}
