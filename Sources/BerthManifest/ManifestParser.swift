import BerthModel
import Yams

/// Splits one manifest file into YAML documents, reporting malformed YAML with its position.
public enum ManifestParser {
  /// Parses every document in `text`; `file` is the path printed in diagnostics.
  ///
  /// Only Berth documents (see `ManifestLoader.isBerthDocument`) are converted in full; another tool's document keeps
  /// its type and position but no content, so a hostile YAML file next to the manifests costs only its parse.
  public static func documents(in text: String, file: String) -> (documents: [ManifestNode], diagnostics: [Diagnostic]) {
    var diagnostics: [Diagnostic] = []
    var documents: [ManifestNode] = []
    if let deep = NestingScan.firstTooDeep(text, limit: ManifestLimits.depth) {
      let location = SourceLocation(file: file, line: deep.line, column: deep.column)
      return (
        [],
        [
          .error(
            "YAML nested deeper than \(ManifestLimits.depth) levels", at: location,
            hint: "manifests are a few levels deep; this is not a manifest Berth can read")
        ]
      )
    }
    var conversion = NodeConversion(file: file, text: text)
    do {
      // Tags are resolved by ScalarResolution; the basic resolver skips Yams's per-scalar regexes.
      var sequence = try Yams.compose_all(yaml: text, Resolver.basic, .default, .utf8)
      while let node = sequence.next() {
        documents.append(isBerthDocument(node) ? conversion.convert(node) : placeholder(node, file: file))
      }
      if let error = sequence.error {
        diagnostics.append(diagnostic(for: error, file: file, text: text))
      }
    } catch {
      diagnostics.append(diagnostic(for: error, file: file, text: text))
    }
    return (documents, conversion.diagnostics + diagnostics)
  }

  /// The rule of `ManifestLoader.isBerthDocument`, read from the Yams node before conversion.
  static func isBerthDocument(_ node: Node) -> Bool {
    guard case .mapping(let mapping) = node else { return false }
    func value(_ key: String) -> Node? { mapping.first { $0.key.string == key }?.value }
    if let apiVersion = value("apiVersion") {
      guard case .scalar(let scalar) = apiVersion else { return true }
      return scalar.string.hasPrefix("berth/")
    }
    return value("kind") != nil
  }

  /// Another tool's document: its type and position, no content.
  private static func placeholder(_ node: Node, file: String) -> ManifestNode {
    let location = SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    switch node {
    case .mapping: return ManifestNode(content: .mapping([]), location: location)
    case .sequence: return ManifestNode(content: .sequence([]), location: location)
    case .scalar(let scalar):
      return ManifestNode(content: .scalar(ScalarResolution.resolve(scalar.string), raw: scalar.string), location: location)
    case .alias: return ManifestNode(content: .scalar(.null, raw: ""), location: location)
    }
  }

  static func diagnostic(for error: Error, file: String, text: String) -> Diagnostic {
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
    case .reader(let problem, let offset, let value, _):
      let position = offset.map { TextPosition.of(byteOffset: $0, in: text) } ?? (line: 1, column: 1)
      let character =
        value >= 0 && value < 0x20 ? " (byte 0x" + (value < 16 ? "0" : "") + String(value, radix: 16, uppercase: true) + ")" : ""
      return .error(
        "invalid YAML: \(problem)\(character)", at: SourceLocation(file: file, line: position.line, column: position.column),
        hint: "manifests are UTF-8 text without control characters")
    case .duplicatedKeysInMapping(let duplicates, let context):
      let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
      return .error("duplicate key \(keys) in a mapping", at: at(context.mark), hint: "each field may be written once")
    default:
      return .error("invalid YAML: \(yamlError)", at: SourceLocation(file: file, line: 1, column: 1))
    }
  }
}
