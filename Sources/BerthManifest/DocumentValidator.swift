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

  /// The resource a document declares and its problems. A Service with errors is still decoded from the fields that
  /// can be read and returned with `checkedOnly`, so the settings and graph rules report their problems too: one
  /// error never hides another.
  static func resource(from node: ManifestNode, baseDirectory: String) -> (Resource?, [Diagnostic], checkedOnly: Bool) {
    let (kind, diagnostics, shapeIsValid) = check(node)
    guard let kind else {
      // A misspelt kind with one close match is checked as that kind, so its own problems show now, not after the fix.
      guard let guess = likelyKind(of: node) else { return (nil, diagnostics, false) }
      let (resource, more, _) = Self.resource(from: guess, baseDirectory: baseDirectory)
      return (resource, diagnostics + more, resource != nil)
    }
    // A value refused by the parser (an alias, a tag) was reported there; the decoder must not see the null it left.
    if !diagnostics.hasErrors && shapeIsValid {
      let resource = ResourceDecoder(node: node, baseDirectory: baseDirectory).decode(kind: kind)
      return (resource, diagnostics + SettingsRules.check(resource), false)
    }
    guard kind == .service else { return (nil, diagnostics, false) }
    let envelope = ManifestSchema.envelope(for: kind)
    let readable = SchemaValidator.pruned(node, against: envelope)
    var recheck = SchemaValidator()
    recheck.validate(readable, against: envelope, context: "")
    guard recheck.shapeIsValid else { return (nil, diagnostics, false) }
    let resource = ResourceDecoder(node: readable, baseDirectory: baseDirectory).decode(kind: kind)
    return (resource, diagnostics + SettingsRules.check(resource), true)
  }

  /// Only what the JSON Schemas in `schemas/` can also express: the kind, fields, types, formats and ranges.
  public static func schemaCheck(_ node: ManifestNode) -> (kind: ResourceKind?, diagnostics: [Diagnostic]) {
    let (kind, diagnostics, _) = check(node)
    return (kind, diagnostics)
  }

  /// `schemaCheck`, and whether the decoder can read the node (no wrong types, nothing missing or refused).
  static func check(_ node: ManifestNode) -> (kind: ResourceKind?, diagnostics: [Diagnostic], shapeIsValid: Bool) {
    guard case .mapping = node.content, !node.isRefused else {
      return (nil, [.error("a manifest document must be a mapping, found \(node.typeName)", at: node.location)], false)
    }
    guard let kindNode = node["kind"] else {
      return (nil, [.error("missing required field 'kind'", at: node.location, hint: kindList)], false)
    }
    if kindNode.isRefused { return (nil, [], false) }
    guard let kindName = kindNode.stringValue, let kind = ResourceKind(rawValue: kindName) else {
      let shown = kindNode.stringValue ?? kindNode.typeName
      let hint = kindNode.stringValue.flatMap { Suggestion.didYouMean($0, in: ResourceKind.allCases.map(\.rawValue)) } ?? kindList
      return (nil, [.error("unknown kind '\(shown)'", at: kindNode.location, hint: hint)], false)
    }
    var validator = SchemaValidator()
    validator.validate(node, against: ManifestSchema.envelope(for: kind), context: "\(kind.rawValue) manifest")
    return (kind, validator.diagnostics, validator.shapeIsValid)
  }

  /// `node` with its kind replaced by the one kind its misspelling is close to, or nil.
  static func likelyKind(of node: ManifestNode) -> ManifestNode? {
    guard let written = node["kind"]?.stringValue, ResourceKind(rawValue: written) == nil,
      // Never a Workspace: where state lives must not come from a guess.
      let closest = Suggestion.closest(to: written, in: ResourceKind.allCases.filter { $0 != .workspace }.map(\.rawValue)),
      case .mapping(var entries) = node.content, let index = entries.firstIndex(where: { $0.key == "kind" })
    else { return nil }
    let kindNode = entries[index].value
    entries[index].value = ManifestNode(content: .scalar(.string(closest), raw: closest), location: kindNode.location)
    return ManifestNode(content: .mapping(entries), location: node.location)
  }

  private static let kindList = "one of: " + ResourceKind.allCases.map(\.rawValue).joined(separator: ", ")
}
