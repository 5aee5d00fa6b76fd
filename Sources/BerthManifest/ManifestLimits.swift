/// Bounds on what Berth reads from a manifest folder, so hostile input is refused quickly instead of parsed for minutes.
///
/// Each is far above what real manifests need (a manifest file is a few KiB), and low enough that the worst file under
/// them is parsed in seconds; the reference is docs/reference/limits.md.
public enum ManifestLimits {
  /// Largest YAML file read as manifests; a larger one that mentions `berth/` is an error, any other is skipped.
  public static let fileBytes = 2 << 20
  /// Deepest nesting of mappings and lists (a Service spec needs 4).
  public static let depth = 64
  /// Most YAML values (scalars, mappings and lists) in one file.
  public static let nodesPerFile = 200_000
}
