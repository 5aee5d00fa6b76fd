import BerthModel

/// Checks a node against a schema, collecting every problem.
struct SchemaValidator {
  var diagnostics: [Diagnostic] = []

  /// Validates a mapping against an object schema; `context` names it in messages ("Service spec").
  mutating func validate(_ node: ManifestNode, against schema: ObjectSchema, context: String) {
    guard case .mapping(let entries) = node.content else {
      diagnostics.append(.error("\(context) must be a mapping, found \(node.typeName)", at: node.location))
      return
    }
    for entry in entries {
      guard let field = schema.field(named: entry.key) else {
        let hint =
          Suggestion.didYouMean(entry.key, in: schema.fields.map(\.name))
          ?? "allowed fields: " + schema.fields.map(\.name).joined(separator: ", ")
        diagnostics.append(.error("unknown field '\(entry.key)' in \(context)", at: entry.keyLocation, hint: hint))
        continue
      }
      validate(entry.value, against: field.type, field: field.name, context: context)
    }
    let present = Set(entries.map(\.key))
    for field in schema.fields where field.required && !present.contains(field.name) {
      diagnostics.append(.error("missing required field '\(field.name)' in \(context)", at: node.location))
    }
  }

  mutating func validate(_ node: ManifestNode, against type: SchemaType, field: String, context: String) {
    func mismatch() {
      diagnostics.append(
        .error("'\(field)' must be \(type.phrase), found \(node.typeName)\(Self.shown(node))", at: node.location))
    }
    switch (type, node.content) {
    case (.string(let format), .scalar(.string(let value), _)):
      check(value, format: format, field: field, at: node.location)
    case (.integer(let minimum, let maximum), .scalar(.int(let value), _)):
      checkRange(
        Double(value), minimum.map(Double.init), maximum.map(Double.init), exclusive: false, field: field, at: node.location)
    case (.number(let minimum, let maximum, let exclusive), .scalar(.int(let value), _)):
      checkRange(Double(value), minimum, maximum, exclusive: exclusive, field: field, at: node.location)
    case (.number(let minimum, let maximum, let exclusive), .scalar(.double(let value), _)):
      checkRange(value, minimum, maximum, exclusive: exclusive, field: field, at: node.location)
    case (.boolean, .scalar(.bool, _)):
      break
    case (.stringMap, .mapping(let entries)):
      for entry in entries {
        switch entry.value.content {
        case .scalar(.string, _): break
        default:
          diagnostics.append(
            .error(
              "'\(field).\(entry.key)' must be a string, found \(entry.value.typeName)\(Self.shown(entry.value))",
              at: entry.value.location, hint: "quote the value: \(entry.key): \"\(Self.raw(entry.value))\""))
        }
      }
    case (.map(let item), .mapping(let entries)):
      for entry in entries {
        validate(entry.value, against: item, field: "\(field).\(entry.key)", context: context)
      }
    case (.list(let item), .sequence(let items)):
      for element in items {
        validate(element, against: item, field: field, context: context)
      }
    case (.object(let schema), .mapping):
      let nested = context.hasSuffix(" manifest") ? String(context.dropLast(" manifest".count)) + " \(field)" : "'\(field)'"
      validate(node, against: schema, context: nested)
    default:
      mismatch()
    }
  }

  private mutating func check(_ value: String, format: StringFormat, field: String, at location: SourceLocation) {
    switch format {
    case .any, .relativePath:
      if value.isEmpty { diagnostics.append(.error("'\(field)' must not be empty", at: location)) }
    case .name:
      if !Self.isName(value) {
        diagnostics.append(
          .error(
            "invalid name '\(value)' in '\(field)': must be a DNS-1123 label",
            at: location,
            hint: "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"
              + (Self.isName(Self.suggestedName(value)) ? " (for example '\(Self.suggestedName(value))')" : "")))
      }
    case .oneOf(let allowed):
      if !allowed.contains(value) {
        let hint = Suggestion.didYouMean(value, in: allowed) ?? "one of: " + allowed.joined(separator: ", ")
        diagnostics.append(.error("'\(field)' has unknown value '\(value)'", at: location, hint: hint))
      }
    case .constant(let expected):
      if value != expected {
        diagnostics.append(
          .error("unsupported \(field) '\(value)'", at: location, hint: "this version of Berth reads '\(expected)'"))
      }
    case .modelReference:
      let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
      let versionIsValid = parts.count == 1 || (Int(parts[1]).map { $0 > 0 } ?? false)
      if !Self.isName(String(parts[0])) || !versionIsValid {
        diagnostics.append(
          .error(
            "invalid model reference '\(value)'", at: location,
            hint: "write a model name, or name:version with a version from 1 up"))
      }
    case .address:
      if ResourceAddress(parsing: value).map({ Self.isName($0.name) }) != true {
        diagnostics.append(
          .error(
            "invalid resource address '\(value)'", at: location,
            hint: "write kind/name, for example service/diabetes-local"))
      }
    case .environmentVariable:
      if !Self.isEnvironmentVariable(value) {
        diagnostics.append(
          .error(
            "'\(field)' must name an environment variable, found '\(value)'", at: location,
            hint: "secrets are referenced by variable name (letters, digits, '_'), never written in manifests"))
      }
    }
  }

  private mutating func checkRange(
    _ value: Double, _ minimum: Double?, _ maximum: Double?, exclusive: Bool, field: String, at location: SourceLocation
  ) {
    let formatted = value == value.rounded() ? String(Int(value)) : String(value)
    if let minimum, exclusive ? value <= minimum : value < minimum {
      let bound = minimum == minimum.rounded() ? String(Int(minimum)) : String(minimum)
      diagnostics.append(
        .error("'\(field)' must be \(exclusive ? "greater than" : "at least") \(bound), found \(formatted)", at: location))
    }
    if let maximum, value > maximum {
      let bound = maximum == maximum.rounded() ? String(Int(maximum)) : String(maximum)
      diagnostics.append(.error("'\(field)' must be at most \(bound), found \(formatted)", at: location))
    }
  }

  static func isName(_ value: String) -> Bool {
    let bytes = Array(value.utf8)
    guard !bytes.isEmpty, bytes.count <= SchemaPatterns.nameMaxLength else { return false }
    func alnum(_ b: UInt8) -> Bool { (b >= 97 && b <= 122) || (b >= 48 && b <= 57) }
    return alnum(bytes.first!) && alnum(bytes.last!) && bytes.allSatisfy { alnum($0) || $0 == 45 }
  }

  static func isEnvironmentVariable(_ value: String) -> Bool {
    let bytes = Array(value.utf8)
    guard let first = bytes.first, !(first >= 48 && first <= 57) else { return false }
    return bytes.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
  }

  /// A likely intended name: lowercased, with other characters turned into '-'.
  static func suggestedName(_ value: String) -> String {
    let mapped = value.lowercased().map { c -> Character in
      (c.isASCII && (c.isLetter || c.isNumber)) ? c : "-"
    }
    return String(String(mapped).trimmingCharacters(in: ["-"]).prefix(SchemaPatterns.nameMaxLength))
  }

  private static func raw(_ node: ManifestNode) -> String {
    if case .scalar(_, let raw) = node.content { return raw }
    return ""
  }

  private static func shown(_ node: ManifestNode) -> String {
    switch node.content {
    case .scalar(.null, _): ""
    case .scalar(.string(let s), _): " \"\(s)\""
    case .scalar(_, let raw): " \(raw)"
    default: ""
    }
  }
}

extension String {
  fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
    var s = Substring(self)
    while let f = s.first, set.contains(f) { s = s.dropFirst() }
    while let l = s.last, set.contains(l) { s = s.dropLast() }
    return String(s)
  }
}
