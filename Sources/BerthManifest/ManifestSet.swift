import BerthModel

/// Every resource declared under a manifest root, with the problems found while loading them.
public struct ManifestSet: Sendable {
  /// The absolute root folder; no path in a manifest may leave it.
  public var root: String
  /// Manifest files read, as printed in diagnostics.
  public var files: [String]
  /// The same files as absolute paths, for digests.
  public var absoluteFiles: [String] = []
  /// SHA-256 over every manifest file's absolute path and bytes (the plan fingerprint's manifest part).
  public var contentDigest = ""
  public var resources: [Resource]
  public var diagnostics: [Diagnostic]
  /// Addresses of documents that were declared but failed validation; references to them are not reported again.
  public var invalidAddresses: Set<ResourceAddress>

  public init(
    root: String, files: [String], resources: [Resource], diagnostics: [Diagnostic], invalidAddresses: Set<ResourceAddress> = []
  ) {
    self.invalidAddresses = invalidAddresses
    self.root = root
    self.files = files
    self.resources = resources
    self.diagnostics = diagnostics
  }

  /// The Workspace resource, if one was declared.
  public var workspace: WorkspaceSpec? {
    for resource in resources {
      if case .workspace(let spec) = resource.spec { return spec }
    }
    return nil
  }
}
