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
  ///
  /// Files unchanged since an earlier run come from the manifest cache under the root's `.berth/cache/`; `cache` says
  /// whether it is used and whether this run may create its folder (see `ManifestCache.Use`).
  public static func run(
    path: String, displayPath: String? = nil, overlays: [String] = [], cache: ManifestCache.Use = .ifPresent
  ) -> Validation {
    let manifestCache = ManifestCache(file: ManifestCache.file(root: ManifestLoader.rootFolder(of: path)), use: cache)
    let manifests = ManifestLoader().load(path: path, displayPath: displayPath, overlays: overlays, cache: manifestCache)
    manifestCache.save()
    let (graph, graphDiagnostics) = GraphBuilder.build(manifests.resources, invalid: manifests.invalidAddresses)
    return Validation(
      manifests: manifests, graph: graph, diagnostics: (manifests.diagnostics + graphDiagnostics).sortedByLocation())
  }
}
