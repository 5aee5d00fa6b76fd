import BerthGraph
import BerthManifest
import BerthModel

/// The outcome of loading and validating a manifest folder.
public struct Validation: Sendable {
  public var manifests: ManifestSet
  public var graph: DesiredGraph
  /// Every diagnostic, sorted by location.
  public var diagnostics: [Diagnostic]

  public var isValid: Bool { !diagnostics.hasErrors }
}

extension Validation {
  /// Loads, validates and builds the graph for the manifests under `path`.
  public static func run(path: String, displayPath: String? = nil, overlays: [String] = []) -> Validation {
    let manifests = ManifestLoader().load(path: path, displayPath: displayPath, overlays: overlays)
    let (graph, graphDiagnostics) = GraphBuilder.build(manifests.resources, invalid: manifests.invalidAddresses)
    return Validation(
      manifests: manifests, graph: graph, diagnostics: (manifests.diagnostics + graphDiagnostics).sortedByLocation())
  }
}
