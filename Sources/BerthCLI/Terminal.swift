import BerthModel
import BerthPlan
import Foundation

/// Where command output goes, and whether it may be coloured.
struct Terminal: Sendable {
  var useColor: Bool
  /// Output goes to a terminal that can redraw a line (progress bars); false for pipes, files and `TERM=dumb`.
  var isInteractive: Bool

  init(noColorFlag: Bool, fileDescriptor: Int32 = STDOUT_FILENO) {
    let environment = ProcessInfo.processInfo.environment
    isInteractive = environment["TERM"] != "dumb" && isatty(fileDescriptor) == 1
    useColor = !noColorFlag && environment["NO_COLOR"] == nil && isInteractive
  }

  enum Style: String {
    case red = "31"
    case green = "32"
    case yellow = "33"
    case cyan = "36"
    case bold = "1"
    case dim = "2"
  }

  func paint(_ text: String, _ style: Style) -> String {
    useColor ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
  }

  func out(_ text: String, newline: Bool = true) {
    FileHandle.standardOutput.write(Data((newline ? text + "\n" : text).utf8))
  }

  func err(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }

  /// Prints diagnostics to standard error with a closing count of errors.
  func printDiagnostics(_ diagnostics: [Diagnostic]) {
    for diagnostic in diagnostics { err(render(diagnostic)) }
    let errors = diagnostics.filter { $0.severity == .error }.count
    if errors > 0 { err("\(errors) error\(errors == 1 ? "" : "s")") }
  }

  /// The plan renderer with this terminal's colours.
  var planRenderer: PlanTextRenderer {
    let useColor = useColor
    return PlanTextRenderer { text, style in
      guard useColor else { return text }
      let code: String
      switch style {
      case .create: code = "32"
      case .update: code = "33"
      case .replace: code = "35"
      case .delete: code = "31"
      case .bold: code = "1"
      case .dim: code = "2"
      }
      return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }
  }

  /// `file:line:col: error: message` with an optional hint line, coloured by severity.
  func render(_ diagnostic: Diagnostic) -> String {
    var text = diagnostic.location.map { paint("\($0): ", .bold) } ?? ""
    let label: String
    switch diagnostic.severity {
    case .error: label = paint("error:", .red)
    case .warning: label = paint("warning:", .yellow)
    case .note: label = paint("note:", .cyan)
    }
    text += "\(label) \(diagnostic.message)"
    if let hint = diagnostic.hint { text += "\n  " + paint("hint:", .cyan) + " \(hint)" }
    return text
  }
}
