import BerthModel
import Foundation

/// Renders the manifest schema as JSON Schema (draft 2020-12) for editors and CI checks.
public enum JSONSchemaGenerator {
  public static let baseURL = "https://berth.dev/schemas/v1/"

  /// File name → JSON text: one schema per kind, plus `berth.schema.json` that dispatches on `kind`.
  public static func files() -> [String: String] {
    var files: [String: String] = [:]
    for kind in ResourceKind.allCases {
      var schema = object(ManifestSchema.envelope(for: kind))
      schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
      schema["$id"] = baseURL + fileName(for: kind)
      schema["title"] = "Berth \(kind.rawValue)"
      if var properties = schema["properties"] as? [String: Any] {
        properties["kind"] = ["const": kind.rawValue, "description": "The kind of resource."]
        schema["properties"] = properties
      }
      files[fileName(for: kind)] = render(schema)
    }
    let dispatch: [[String: Any]] = ResourceKind.allCases.map { kind in
      [
        "if": ["properties": ["kind": ["const": kind.rawValue]], "required": ["kind"]],
        "then": ["$ref": fileName(for: kind)],
      ]
    }
    files["berth.schema.json"] = render([
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "$id": baseURL + "berth.schema.json",
      "title": "Berth manifest (any kind)",
      "type": "object",
      "required": ["apiVersion", "kind"],
      "properties": ["kind": ["enum": ResourceKind.allCases.map(\.rawValue)]],
      "allOf": dispatch,
    ])
    return files
  }

  public static func fileName(for kind: ResourceKind) -> String { "\(kind.addressPrefix).schema.json" }

  static func object(_ schema: ObjectSchema) -> [String: Any] {
    var properties: [String: Any] = [:]
    for field in schema.fields {
      var property = type(field.type)
      property["description"] = field.summary
      properties[field.name] = property
    }
    var result: [String: Any] = ["type": "object", "additionalProperties": false, "properties": properties]
    let required = schema.fields.filter(\.required).map(\.name)
    if !required.isEmpty { result["required"] = required }
    return result
  }

  static func type(_ type: SchemaType) -> [String: Any] {
    switch type {
    case .string(let format):
      var result: [String: Any] = ["type": "string"]
      switch format {
      case .any, .relativePath: result["minLength"] = 1
      case .name:
        result["pattern"] = SchemaPatterns.name
        result["maxLength"] = SchemaPatterns.nameMaxLength
      case .oneOf(let values): result["enum"] = values
      case .constant(let value): result["const"] = value
      case .modelReference: result["pattern"] = SchemaPatterns.modelReference
      case .address: result["pattern"] = SchemaPatterns.address
      case .environmentVariable: result["pattern"] = SchemaPatterns.environmentVariable
      case .registryAddress: result["pattern"] = SchemaPatterns.registryAddress
      case .stateLocation: result["pattern"] = SchemaPatterns.stateLocation
      }
      return result
    case .integer(let minimum, let maximum):
      var result: [String: Any] = ["type": "integer"]
      if let minimum { result["minimum"] = minimum }
      if let maximum { result["maximum"] = maximum }
      return result
    case .number(let minimum, let maximum, let exclusive):
      var result: [String: Any] = ["type": "number"]
      if let minimum { result[exclusive ? "exclusiveMinimum" : "minimum"] = minimum }
      if let maximum { result["maximum"] = maximum }
      return result
    case .boolean:
      return ["type": "boolean"]
    case .stringMap:
      return ["type": "object", "additionalProperties": ["type": "string"]]
    case .map(let item):
      return ["type": "object", "additionalProperties": self.type(item)]
    case .list(let item):
      return ["type": "array", "items": self.type(item)]
    case .object(let schema):
      return object(schema)
    }
  }

  static func render(_ value: [String: Any]) -> String {
    let data = try! JSONSerialization.data(
      withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    return String(decoding: data, as: UTF8.self) + "\n"
  }
}
