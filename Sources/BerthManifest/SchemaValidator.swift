import BerthModel

/// Checks a node against a schema, collecting every problem.
struct SchemaValidator {
  var diagnostics: [Diagnostic] = []
  /// False once a value has the wrong type or a required field is missing: the decoder cannot read the node then.
  /// Range and format errors leave the shape intact.
  var shapeIsValid = true

  /// Validates a mapping against an object schema; `context` names it in messages ("Service spec").
  mutating func validate(_ node: ManifestNode, against schema: ObjectSchema, context: String) {
    if node.isRefused {
      shapeIsValid = false
      return
    }
    guard case .mapping(let entries) = node.content else {
      diagnostics.append(.error("\(context) must be a mapping, found \(node.typeName)", at: node.location))
      shapeIsValid = false
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
      shapeIsValid = false
    }
  }

  mutating func validate(_ node: ManifestNode, against type: SchemaType, field: String, context: String) {
    if node.isRefused {
      shapeIsValid = false
      return
    }
    func mismatch() {
      var hint: String? = nil
      if case .boolean = type, case .scalar(.string(let text), _) = node.content, ScalarResolution.yaml11Booleans.contains(text) {
        hint = "manifests use YAML 1.2 booleans: write true or false"
      }
      // A secret written where a variable name belongs is never printed, in any field.
      let shown = Self.looksSecret(field) ? Self.described(node) : Self.shown(node)
      diagnostics.append(
        .error("'\(field)' must be \(type.phrase), found \(node.typeName)\(shown)", at: node.location, hint: hint))
      shapeIsValid = false
    }
    switch (type, node.content) {
    case (.string(let format), .scalar(.string(let value), _)):
      check(value, format: format, field: field, at: node.location)
    case (.integer(let minimum, let maximum), .scalar(.int(let value), _)):
      checkRange(
        Double(value), minimum.map(Double.init), maximum.map(Double.init), exclusive: false, field: field, at: node.location)
    case (.integer(let minimum, let maximum), .scalar(.double(let value), let raw)) where ScalarResolution.isDecimalInteger(raw):
      // Past 64 bits: out of every range, and said so with the digits as written.
      shapeIsValid = false
      let bound = value < 0 ? "at least \(minimum ?? Int.min)" : "at most \(maximum ?? Int.max)"
      diagnostics.append(.error("'\(field)' must be \(bound), found \(raw)", at: node.location))
    case (.number, .scalar(.double(let value), let raw)) where !value.isFinite:
      shapeIsValid = false
      diagnostics.append(
        .error(
          "'\(field)' must be a finite number, found \(raw)", at: node.location,
          hint: "YAML's .inf and .nan are not settings; write a number"))
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
          shapeIsValid = false
          // Environment variables often carry secrets: a value under a secret-looking name is described only.
          let secret = Self.looksSecret(entry.key.lowercased())
          let shown = secret ? Self.described(entry.value) : Self.shown(entry.value)
          diagnostics.append(
            .error(
              "'\(field).\(entry.key)' must be a string, found \(entry.value.typeName)\(shown)",
              at: entry.value.location,
              hint: secret
                ? "quote the value, and keep secrets out of manifests"
                : Self.raw(entry.value).isEmpty ? nil : "quote the value: \(entry.key): \"\(Self.raw(entry.value))\""))
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

  /// `node` without the entries whose values the decoder cannot read (wrong type, unknown field, unknown enum value),
  /// so the rest of a document with errors can still be checked by the settings and graph rules.
  static func pruned(_ node: ManifestNode, against schema: ObjectSchema) -> ManifestNode {
    guard case .mapping(let entries) = node.content else { return node }
    var kept: [(key: String, keyLocation: SourceLocation, value: ManifestNode)] = []
    for entry in entries {
      guard let field = schema.field(named: entry.key) else { continue }
      if case .object(let nested) = field.type, case .mapping = entry.value.content {
        kept.append((entry.key, entry.keyLocation, pruned(entry.value, against: nested)))
        continue
      }
      var alone = SchemaValidator()
      alone.validate(entry.value, against: field.type, field: field.name, context: "")
      if alone.shapeIsValid { kept.append(entry) }
    }
    return ManifestNode(content: .mapping(kept), location: node.location)
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
        shapeIsValid = false
        let hint = Suggestion.didYouMean(value, in: allowed) ?? "one of: " + allowed.joined(separator: ", ")
        diagnostics.append(.error("'\(field)' has unknown value '\(value)'", at: location, hint: hint))
      }
    case .constant(let expected):
      if value != expected {
        shapeIsValid = false
        diagnostics.append(
          .error("unsupported \(field) '\(value)'", at: location, hint: "this version of Berth reads '\(expected)'"))
      }
    case .modelReference:
      let parts = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
      let versionIsValid = parts.count == 1 || (Int(parts[1]).map { $0 > 0 } ?? false)
      if !Self.isName(String(parts[0])) || !versionIsValid {
        shapeIsValid = false  // the decoder drops it, which would read as "no model"
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
        // The value is likely the secret itself: describe it, never print it.
        diagnostics.append(
          .error(
            "'\(field)' must name an environment variable, found a value that is not a variable name (\(value.count) characters)",
            at: location,
            hint:
              "secrets are referenced by variable name (letters, digits, '_'), never written in manifests; "
              + "if a secret was committed, rotate it"))
      }
    case .stateLocation:
      let schemes = ["sqlite:", "postgres://", "postgresql://"]
      if !schemes.contains(where: { value.hasPrefix($0) && value.count > $0.count }) {
        // The URL may hold a password: shown redacted.
        diagnostics.append(
          .error(
            "unsupported state location '\(URLRedaction.redacted(value))'", at: location,
            hint: "write sqlite:PATH (the default is sqlite:.berth/state.db) or a postgres:// URL"))
      }
    case .registryAddress:
      if value.isEmpty { diagnostics.append(.error("'\(field)' must not be empty", at: location)) }
      if let credentials = Self.credentialsInAddress(value) {
        diagnostics.append(
          .error(
            "'\(field)' contains \(credentials) before '@'; credentials never go in an address", at: location,
            hint: "write the host only and put the credentials in environment variables named by username_env and "
              + "password_env; if a password was committed, rotate it"))
      }
    }
  }

  private mutating func checkRange(
    _ value: Double, _ minimum: Double?, _ maximum: Double?, exclusive: Bool, field: String, at location: SourceLocation
  ) {
    let formatted = Self.format(value)
    if let minimum, exclusive ? value <= minimum : value < minimum {
      let bound = Self.format(minimum)
      diagnostics.append(
        .error("'\(field)' must be \(exclusive ? "greater than" : "at least") \(bound), found \(formatted)", at: location))
    }
    if let maximum, value > maximum {
      let bound = Self.format(maximum)
      diagnostics.append(.error("'\(field)' must be at most \(bound), found \(formatted)", at: location))
    }
  }

  /// `8` for whole numbers Int can hold, else Swift's shortest form (`1e+300`); never traps on a huge or odd value.
  static func format(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 9e15 { return String(Int(value)) }
    return String(value)
  }

  /// Fields whose values are secrets when written wrongly: they are described, never printed.
  static func looksSecret(_ field: String) -> Bool {
    field.hasSuffix("_env") || field.contains("password") || field.contains("token") || field.contains("secret")
      || field.hasSuffix("_key") || field == "key"
  }

  /// What a node holds, without its value: "(12 characters)".
  static func described(_ node: ManifestNode) -> String {
    if case .scalar(_, let raw) = node.content, !raw.isEmpty { return " (\(raw.count) characters)" }
    return ""
  }

  /// "a user name and password" when `address` has `user:password@` or `user@` before its host, else nil.
  static func credentialsInAddress(_ address: String) -> String? {
    var rest = Substring(address)
    if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
    let authority = rest.prefix { $0 != "/" }
    guard let at = authority.lastIndex(of: "@") else { return nil }
    return authority[..<at].contains(":") ? "a user name and password" : "a user name"
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
