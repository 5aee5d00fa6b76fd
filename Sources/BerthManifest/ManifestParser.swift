import BerthModel
import Yams

/// Splits one manifest file into YAML documents, reporting malformed YAML with its position.
public enum ManifestParser {
  /// Parses every document in `text`; `file` is the path printed in diagnostics.
  public static func documents(in text: String, file: String) -> (documents: [ManifestNode], diagnostics: [Diagnostic]) {
    var diagnostics: [Diagnostic] = []
    var documents: [ManifestNode] = []
    do {
      // Tags are resolved by ScalarResolution; the basic resolver skips Yams's per-scalar regexes.
      var sequence = try Yams.compose_all(yaml: text, Resolver.basic, .default, .utf8)
      while let node = sequence.next() {
        documents.append(ManifestNode.from(node, file: file, diagnostics: &diagnostics))
      }
      if let error = sequence.error {
        diagnostics.append(diagnostic(for: error, file: file))
      }
    } catch {
      diagnostics.append(diagnostic(for: error, file: file))
    }
    return (documents, diagnostics)
  }

  static func diagnostic(for error: Error, file: String) -> Diagnostic {
    func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
    guard let yamlError = error as? YamlError else {
      return .error("invalid YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
    }
    switch yamlError {
    case .scanner(let context, let problem, let mark, _),
      .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      let hint = context.map { "\($0.text) at line \($0.mark.line), column \($0.mark.column)" }
      return .error("invalid YAML: \(problem)", at: at(mark), hint: hint)
    case .reader(let problem, _, _, _):
      return .error(
        "invalid YAML: \(problem)", at: SourceLocation(file: file, line: 1, column: 1),
        hint: "manifests must be UTF-8 text")
    case .duplicatedKeysInMapping(let duplicates, let context):
      let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
      return .error("duplicate key \(keys) in a mapping", at: at(context.mark), hint: "each field may be written once")
    default:
      return .error("invalid YAML: \(yamlError)", at: SourceLocation(file: file, line: 1, column: 1))
    }
  }
}
