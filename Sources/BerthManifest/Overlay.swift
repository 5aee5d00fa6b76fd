import BerthModel
import Foundation

/// Overlays: one set of manifests, several environments (dev, prod) without copying files.
///
/// An overlay document patches the base document of the same `kind` and `metadata.name` the way a JSON
/// merge patch (RFC 7386) does: mappings merge key by key, anything else replaces, `null` removes a key.
/// An overlay document matching no base document is added as a new resource. Overlay values keep their
/// own file positions, so diagnostics point at the overlay that wrote them; relative paths an overlay
/// writes stay relative to the overlay's file.
enum Overlay {
  static func apply(_ overlays: [ManifestLoader.Document], to base: [ManifestLoader.Document]) -> [ManifestLoader.Document] {
    var documents = base
    var index: [String: Int] = [:]
    for (position, document) in documents.enumerated() {
      if let key = key(of: document.node), index[key] == nil { index[key] = position }
    }
    for overlay in overlays {
      guard let key = key(of: overlay.node), let position = index[key],
        let kind = overlay.node["kind"]?.stringValue.flatMap(ResourceKind.init(rawValue:))
      else {
        documents.append(overlay)
        continue
      }
      let target = documents[position]
      let context = PathContext(baseDirectory: target.baseDirectory, overlayDirectory: overlay.baseDirectory)
      documents[position].node = merge(
        target.node, overlay.node, schema: .object(ManifestSchema.envelope(for: kind)), field: "", context: context)
    }
    return documents
  }

  /// `Kind/name` of a document, when both can be read.
  static func key(of node: ManifestNode) -> String? {
    guard let kind = node["kind"]?.stringValue, let name = node["metadata"]?["name"]?.stringValue else { return nil }
    return kind + "/" + name
  }

  struct PathContext {
    var baseDirectory: String
    var overlayDirectory: String
  }

  static func merge(_ base: ManifestNode, _ patch: ManifestNode, schema: SchemaType?, field: String, context: PathContext)
    -> ManifestNode
  {
    guard case .mapping(let baseEntries) = base.content, case .mapping(let patchEntries) = patch.content else {
      return rebased(patch, schema: schema, field: field, context: context)
    }
    var entries = baseEntries
    for entry in patchEntries {
      let fieldSchema: SchemaType? = {
        if case .object(let object)? = schema { return object.field(named: entry.key)?.type }
        return nil
      }()
      let existing = entries.firstIndex { $0.key == entry.key }
      if case .scalar(.null, _) = entry.value.content {
        if let existing { entries.remove(at: existing) }
        continue
      }
      if let existing {
        entries[existing].value = merge(
          entries[existing].value, entry.value, schema: fieldSchema, field: entry.key, context: context)
      } else {
        entries.append(
          (entry.key, entry.keyLocation, rebased(entry.value, schema: fieldSchema, field: entry.key, context: context)))
      }
    }
    return ManifestNode(content: .mapping(entries), location: base.location)
  }

  /// A relative path written by the overlay, re-expressed from the base document's folder.
  /// (`entry_script` is relative to `source_directory`, not to a file, so it is left alone.)
  static func rebased(_ node: ManifestNode, schema: SchemaType?, field: String, context: PathContext) -> ManifestNode {
    guard case .string(.relativePath)? = schema, field != "entry_script", let path = node.stringValue, !path.hasPrefix("/"),
      context.baseDirectory != context.overlayDirectory
    else { return node }
    let target = PathRules.lexicallyNormalized(context.overlayDirectory + "/" + path)
    var rebased = node
    rebased.content = .scalar(.string(relativePath(from: context.baseDirectory, to: target)), raw: path)
    return rebased
  }

  static func relativePath(from directory: String, to target: String) -> String {
    let from = directory.split(separator: "/")
    let to = target.split(separator: "/")
    var common = 0
    while common < from.count && common < to.count && from[common] == to[common] { common += 1 }
    let ups = Array(repeating: "..", count: from.count - common)
    return (ups + to[common...].map(String.init)).joined(separator: "/")
  }

  /// The deepest folder containing both.
  static func commonAncestor(_ a: String, _ b: String) -> String {
    let left = a.split(separator: "/")
    let right = b.split(separator: "/")
    var common = 0
    while common < left.count && common < right.count && left[common] == right[common] { common += 1 }
    return "/" + left[..<common].joined(separator: "/")
  }
}
