/// The declarative shape of a manifest: one table drives validation and the JSON Schemas in `schemas/`.
public indirect enum SchemaType: Sendable {
  case string(StringFormat = .any)
  case integer(minimum: Int? = nil, maximum: Int? = nil)
  case number(minimum: Double? = nil, maximum: Double? = nil, exclusiveMinimum: Bool = false)
  case boolean
  /// A mapping of free-form keys to string values (labels, tags).
  case stringMap
  /// A mapping of free-form keys (names of other resources) to values of one type: `traffic: {blue: 90}`.
  case map(SchemaType)
  case list(SchemaType)
  case object(ObjectSchema)

  /// A description of the type for messages: "an integer", "a list of strings".
  public var phrase: String {
    switch self {
    case .string: "a string"
    case .integer: "an integer"
    case .number: "a number"
    case .boolean: "a boolean (true or false)"
    case .stringMap: "a mapping of strings"
    case .map(let item): "a mapping of " + item.pluralPhrase
    case .list(let item): "a list of " + item.pluralPhrase
    case .object: "a mapping"
    }
  }

  private var pluralPhrase: String {
    switch self {
    case .string: "strings"
    case .integer: "integers"
    case .number: "numbers"
    case .boolean: "booleans"
    case .stringMap, .map, .object: "mappings"
    case .list: "lists"
    }
  }
}

/// Constraints on a string field.
public enum StringFormat: Sendable {
  case any
  /// A DNS-1123 label: the name of a resource.
  case name
  /// One of a fixed set of values.
  case oneOf([String])
  /// An exact value (`apiVersion`).
  case constant(String)
  /// A path relative to the manifest file.
  case relativePath
  /// A model reference: `name` or `name:version`.
  case modelReference
  /// A resource address: `kind/name`.
  case address
  /// The name of an environment variable holding a secret.
  case environmentVariable
  /// A registry host with an optional repository prefix; never with credentials.
  case registryAddress
  /// Where state lives: `sqlite:PATH`, or a `postgres://` / `postgresql://` URL.
  case stateLocation
}

/// One field of a mapping.
public struct FieldSchema: Sendable {
  public var name: String
  public var type: SchemaType
  public var required: Bool
  public var summary: String

  public init(_ name: String, _ type: SchemaType, required: Bool = false, _ summary: String) {
    self.name = name
    self.type = type
    self.required = required
    self.summary = summary
  }
}

/// A mapping with a closed set of fields.
public struct ObjectSchema: Sendable {
  public let fields: [FieldSchema]
  private let index: [String: Int]

  public init(_ fields: [FieldSchema]) {
    self.fields = fields
    self.index = Dictionary(fields.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
  }

  public func field(named name: String) -> FieldSchema? {
    index[name].map { fields[$0] }
  }
}

/// Regular expressions shared by the validator's messages and the JSON Schemas.
public enum SchemaPatterns {
  public static let name = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
  public static let modelReference = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(:[1-9][0-9]*)?$"
  public static let address =
    "^(workspace|Workspace|model|Model|environment|Environment|inferenceconfig|InferenceConfig|computetarget|ComputeTarget|endpoint|Endpoint|service|Service)/[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
  public static let environmentVariable = "^[A-Za-z_][A-Za-z0-9_]*$"
  /// No `@`: credentials in a registry address would be printed and recorded.
  public static let registryAddress = "^[^@]+$"
  public static let stateLocation = "^(sqlite:.+|postgres://.+|postgresql://.+)$"
  public static let nameMaxLength = 63
}
