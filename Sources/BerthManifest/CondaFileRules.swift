import BerthModel
import Foundation
import Yams

/// The shape of a conda file, checked at validate time with the conda file's own `file:line:col`, so a
/// requirements.txt, a Python 2 pin or a mapping under `pip:` is refused before an environment build starts.
///
/// Only the shape is checked here; what the dependencies mean is BerthPythonSpec's job when an environment is built.
enum CondaFileRules {
  /// Python releases the scoring server installs on (azureml-inference-server-http 1.5: `Requires-Python >=3.9`).
  static let minimumPython = (major: 3, minor: 9)
  static let hint = "a conda file has name:, channels: and dependencies: (pip packages under '- pip:')"

  /// Problems in the conda file at `path`, printed as `display`; `reference` is where the manifest names it.
  static func check(path: String, display: String, reference: SourceLocation?) -> [Diagnostic] {
    guard case .success(let file) = FileCheck.regularFile(path), file.size <= Int64(ManifestLimits.fileBytes),
      let data = FileManager.default.contents(atPath: path)
    else {
      return [.error("conda file '\(display)' cannot be read or is larger than \(ManifestLimits.fileBytes) bytes", at: reference)]
    }
    let start = SourceLocation(file: display, line: 1, column: 1)
    guard let text = String(validating: [UInt8](data), as: UTF8.self) else {
      return [.error("conda file '\(display)' is not UTF-8 text", at: start)]
    }
    let root: Node?
    do {
      root = try Yams.compose(yaml: text, Resolver.basic)
    } catch {
      return [ManifestParser.diagnostic(for: error, file: display, text: text)]
    }
    guard let root, case .mapping(let mapping) = root else {
      let looksLikeRequirements = root.map { if case .scalar = $0 { true } else { false } } ?? false
      return [
        .error(
          looksLikeRequirements
            ? "'\(display)' is not a conda environment file; it looks like a pip requirements file"
            : "'\(display)' is not a conda environment file: it must be a mapping", at: start, hint: hint)
      ]
    }
    var diagnostics: [Diagnostic] = []
    func at(_ node: Node) -> SourceLocation {
      SourceLocation(file: display, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }
    guard let dependencies = mapping["dependencies"] else {
      return [.error("conda file '\(display)' has no 'dependencies' list", at: start, hint: hint)]
    }
    guard case .sequence(let entries) = dependencies else {
      return [.error("'dependencies' must be a list, e.g. '- python=3.11'", at: at(dependencies), hint: hint)]
    }
    for entry in entries {
      switch entry {
      case .scalar(let scalar):
        if let problem = pythonProblem(scalar.string) { diagnostics.append(.error(problem, at: at(entry))) }
      case .mapping(let nested):
        for (key, value) in nested {
          guard key.string == "pip" else {
            diagnostics.append(
              .error("unknown dependency section '\(key.string ?? "?")'", at: at(key), hint: "only 'pip:' may nest here"))
            continue
          }
          guard case .sequence(let items) = value else {
            diagnostics.append(
              .error("'pip' must be a list of requirement strings, e.g. '- scikit-learn==1.5.2'", at: at(value), hint: hint))
            continue
          }
          for item in items where item.scalar == nil {
            diagnostics.append(.error("each entry under 'pip' must be a requirement string", at: at(item)))
          }
        }
      default:
        diagnostics.append(.error("each dependency must be a string or a 'pip:' list", at: at(entry), hint: hint))
      }
    }
    return diagnostics
  }

  /// An error for a `python` pin below the scoring server's minimum (`python=2.7`, `python==3.8.10`), else nil.
  static func pythonProblem(_ dependency: String) -> String? {
    let text = dependency.replacingOccurrences(of: " ", with: "")
    guard text.hasPrefix("python=") || text.hasPrefix("python==") else { return nil }
    let version = text.drop { $0 != "=" }.drop { $0 == "=" }
    let parts = version.split(separator: ".").prefix(2).map { Int($0.prefix { $0.isNumber }) }
    guard parts.count == 2, let major = parts[0], let minor = parts[1] else { return nil }
    guard (major, minor) < (minimumPython.major, minimumPython.minor) else { return nil }
    return
      "'\(dependency)' pins Python \(major).\(minor); the scoring server (azmlinfsrv) needs Python "
      + "\(minimumPython.major).\(minimumPython.minor) or later"
  }
}
