import BerthModel

/// Validates one YAML document against the envelope and its kind's schema, then decodes it.
public enum DocumentValidator {
  /// The address a document declares, when its kind and name can be read even though it is invalid.
  static func declaredAddress(of node: ManifestNode) -> ResourceAddress? {
    guard let kind = node["kind"]?.stringValue.flatMap(ResourceKind.init(rawValue:)),
      let name = node["metadata"]?["name"]?.stringValue
    else { return nil }
    return ResourceAddress(kind, name)
  }

  static func resource(from node: ManifestNode, baseDirectory: String) -> (Resource?, [Diagnostic]) {
    let (kind, diagnostics) = schemaCheck(node)
    guard let kind, !diagnostics.hasErrors else { return (nil, diagnostics) }
    let resource = ResourceDecoder(node: node, baseDirectory: baseDirectory).decode(kind: kind)
    return (resource, diagnostics + SettingsRules.check(resource))
  }

  /// Only what the JSON Schemas in `schemas/` can also express: the kind, fields, types, formats and ranges.
  public static func schemaCheck(_ node: ManifestNode) -> (kind: ResourceKind?, diagnostics: [Diagnostic]) {
    guard case .mapping = node.content else {
      return (nil, [.error("a manifest document must be a mapping, found \(node.typeName)", at: node.location)])
    }
    guard let kindNode = node["kind"] else {
      return (nil, [.error("missing required field 'kind'", at: node.location, hint: kindList)])
    }
    guard let kindName = kindNode.stringValue, let kind = ResourceKind(rawValue: kindName) else {
      let shown = kindNode.stringValue ?? kindNode.typeName
      let hint = kindNode.stringValue.flatMap { Suggestion.didYouMean($0, in: ResourceKind.allCases.map(\.rawValue)) } ?? kindList
      return (nil, [.error("unknown kind '\(shown)'", at: kindNode.location, hint: hint)])
    }
    var validator = SchemaValidator()
    validator.validate(node, against: ManifestSchema.envelope(for: kind), context: "\(kind.rawValue) manifest")
    return (kind, validator.diagnostics)
  }

  private static let kindList = "one of: " + ResourceKind.allCases.map(\.rawValue).joined(separator: ", ")
}
