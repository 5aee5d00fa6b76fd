import BerthModel

/// Renders the manifest schema as the Markdown field reference in `docs/reference/fields.md`.
public enum SchemaReference {
  public static func markdown() -> String {
    var text = """
      # Manifest field reference

      Generated from Berth's schema table by `berth schema --markdown`; the JSON Schemas in
      `schemas/` come from the same table. Every document has `apiVersion: berth/v1`, `kind`,
      `metadata`, `spec` and an optional `lifecycle`.


      """
    text += section("metadata (every kind)", ManifestSchema.metadata)
    text += section("lifecycle (every kind)", ManifestSchema.lifecycle)
    for kind in ResourceKind.allCases {
      text += section("\(kind.rawValue) spec", ManifestSchema.spec(for: kind))
    }
    text += section("Service spec.deployment", ManifestSchema.deployment, targets: true)
    text += section("deployment.liveness_probe", ManifestSchema.livenessProbe)
    text += section("registry (Workspace spec.registry, InferenceConfig spec.base_image_registry)", ManifestSchema.registry)
    text += "## Scoring timeout limits\n\n| compute target type | longest `scoring_timeout_ms` |\n|---|---|\n"
    for type in ComputeType.allCases {
      text += "| \(type.rawValue) | \(ManifestSchema.scoringTimeoutLimitMs[type] ?? 0) |\n"
    }
    return text
  }

  private static func section(_ title: String, _ schema: ObjectSchema, targets: Bool = false) -> String {
    var text = "## \(title)\n\n| field | type | required | \(targets ? "targets | " : "")description |\n"
    text += "|---|---|---|\(targets ? "---|" : "")---|\n"
    for field in schema.fields {
      text += "| `\(field.name)` | \(describe(field.type)) | \(field.required ? "yes" : "") | "
      if targets {
        let types = ManifestSchema.deploymentFieldTargets[field.name]?.map(\.rawValue).sorted().joined(separator: ", ")
        text += (types ?? "all") + " | "
      }
      text += field.summary.replacingOccurrences(of: "|", with: "\\|") + " |\n"
    }
    return text + "\n"
  }

  private static func describe(_ type: SchemaType) -> String {
    switch type {
    case .string(let format):
      switch format {
      case .any: "string"
      case .name: "name (DNS-1123 label)"
      case .oneOf(let values): values.map { "`\($0)`" }.joined(separator: " \\| ")
      case .constant(let value): "`\(value)`"
      case .relativePath: "relative path"
      case .modelReference: "`name` or `name:version`"
      case .address: "`kind/name`"
      case .environmentVariable: "environment variable name"
      case .registryAddress: "registry host, no credentials"
      case .stateLocation: "`sqlite:PATH` or `postgres://` URL"
      }
    case .integer(let minimum, let maximum):
      "integer" + range(minimum.map(String.init), maximum.map(String.init))
    case .number(let minimum, let maximum, let exclusive):
      "number" + range(minimum.map { exclusive ? "> \(format($0))" : format($0) }, maximum.map(format))
    case .boolean: "boolean"
    case .stringMap: "map of strings"
    case .map(let item): "map of " + describe(item)
    case .list(let item): "list of " + describe(item)
    case .object: "mapping (below)"
    }
  }

  private static func range(_ minimum: String?, _ maximum: String?) -> String {
    switch (minimum, maximum) {
    case (nil, nil): ""
    case (let minimum?, nil): minimum.hasPrefix(">") ? " \(minimum)" : " ≥ \(minimum)"
    case (nil, let maximum?): " ≤ \(maximum)"
    case (let minimum?, let maximum?): " \(minimum)–\(maximum)"
    }
  }

  private static func format(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(value)
  }
}
