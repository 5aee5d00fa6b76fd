import BerthModel
import Foundation

/// Reads every manifest under a folder: finds files, parses, validates, checks referenced paths.
public struct ManifestLoader: Sendable {
  public init() {}

  /// Loads `path` (a folder searched recursively, or one file). Problems become diagnostics; never throws.
  ///
  /// Diagnostics print file paths as `path` was written; `displayPath` replaces it (tests use a stable name).
  public func load(path: String, displayPath: String? = nil) -> ManifestSet {
    let shownPath = displayPath ?? path
    let absolute = Self.absolute(path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
      return ManifestSet(
        root: absolute, files: [], resources: [],
        diagnostics: [.error("manifest folder '\(shownPath)' does not exist")])
    }
    let root = isDirectory.boolValue ? absolute : (absolute as NSString).deletingLastPathComponent
    let relativeFiles = isDirectory.boolValue ? Self.manifestFiles(under: absolute) : [(absolute as NSString).lastPathComponent]
    let displayPrefix =
      isDirectory.boolValue
      ? Self.displayPrefix(shownPath) : Self.displayPrefix((shownPath as NSString).deletingLastPathComponent)

    // Files are independent: read and validate them on every core, then merge in file order.
    let outcomes = ParallelMap.map(relativeFiles) { relative in
      Self.loadFile(fullPath: root + "/" + relative, display: displayPrefix + relative)
    }
    var diagnostics: [Diagnostic] = []
    var resources: [Resource] = []
    var files: [String] = []
    var absoluteFiles: [String] = []
    var invalidAddresses: Set<ResourceAddress> = []
    for outcome in outcomes {
      if outcome.isManifest {
        files.append(outcome.display)
        absoluteFiles.append(outcome.fullPath)
      }
      diagnostics += outcome.diagnostics
      resources += outcome.resources
      invalidAddresses.formUnion(outcome.invalidAddresses)
    }
    if files.isEmpty && diagnostics.isEmpty {
      diagnostics.append(
        .error(
          "no Berth manifests found in '\(shownPath)'", hint: "manifests are *.yaml or *.yml files with 'apiVersion: berth/v1'"))
    }
    diagnostics += Self.duplicates(in: resources)
    diagnostics += PathRules(root: root).check(resources)
    var set = ManifestSet(
      root: root, files: files, resources: resources, diagnostics: diagnostics, invalidAddresses: invalidAddresses)
    set.absoluteFiles = absoluteFiles
    return set
  }

  struct FileOutcome: Sendable {
    var fullPath: String
    var display: String
    var isManifest = false
    var resources: [Resource] = []
    var diagnostics: [Diagnostic] = []
    var invalidAddresses: [ResourceAddress] = []
  }

  static func loadFile(fullPath: String, display: String) -> FileOutcome {
    var outcome = FileOutcome(fullPath: fullPath, display: display)
    guard let data = FileManager.default.contents(atPath: fullPath) else {
      outcome.diagnostics.append(.error("cannot read '\(display)'"))
      return outcome
    }
    guard let text = String(data: data, encoding: .utf8) else {
      outcome.diagnostics.append(.error("'\(display)' is not UTF-8 text", at: SourceLocation(file: display, line: 1, column: 1)))
      return outcome
    }
    let parsed = ManifestParser.documents(in: text, file: display)
    let berthDocuments = parsed.documents.filter(Self.isBerthDocument)
    if berthDocuments.isEmpty && parsed.diagnostics.isEmpty { return outcome }  // a conda file, a Kubernetes manifest, …
    outcome.isManifest = true
    outcome.diagnostics += parsed.diagnostics
    let baseDirectory = (fullPath as NSString).deletingLastPathComponent
    for document in parsed.documents where !Self.isBerthDocument(document) {
      if case .scalar(.null, _) = document.content { continue }
      if case .mapping = document.content { continue }  // another tool's document in the same file
      outcome.diagnostics.append(
        .error(
          "a manifest document must be a mapping, found \(document.typeName)", at: document.location,
          hint: "each document has apiVersion, kind, metadata and spec; separate documents with ---"))
    }
    for document in berthDocuments {
      let (resource, problems) = DocumentValidator.resource(from: document, baseDirectory: baseDirectory)
      outcome.diagnostics += problems
      if let resource {
        outcome.resources.append(resource)
      } else if let address = DocumentValidator.declaredAddress(of: document) {
        outcome.invalidAddresses.append(address)
      }
    }
    return outcome
  }

  /// A document is Berth's when its apiVersion starts with `berth/`, or it has a `kind` but no apiVersion.
  public static func isBerthDocument(_ node: ManifestNode) -> Bool {
    guard case .mapping = node.content else { return false }
    if let apiVersion = node["apiVersion"] {
      return apiVersion.stringValue?.hasPrefix("berth/") ?? true
    }
    return node["kind"] != nil
  }

  static func duplicates(in resources: [Resource]) -> [Diagnostic] {
    var first: [ResourceAddress: Resource] = [:]
    var diagnostics: [Diagnostic] = []
    var workspace: Resource?
    for resource in resources {
      if resource.address.kind == .workspace {
        if let workspace {
          diagnostics.append(
            .error("only one Workspace may be declared", at: resource.location, hint: "the first is at \(workspace.location)"))
          continue
        }
        workspace = resource
      }
      if let earlier = first[resource.address] {
        diagnostics.append(
          .error(
            "duplicate \(resource.address.kind.rawValue) name '\(resource.address.name)'",
            at: resource.location(of: "metadata.name"), hint: "first declared at \(earlier.location(of: "metadata.name"))"))
      } else {
        first[resource.address] = resource
      }
    }
    return diagnostics
  }

  /// Manifest files below `root`, relative and sorted; hidden folders (.git, .berth) are skipped.
  static func manifestFiles(under root: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
    var result: [String] = []
    while let relative = enumerator.nextObject() as? String {
      let name = (relative as NSString).lastPathComponent
      if name.hasPrefix(".") {
        if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { enumerator.skipDescendants() }
        continue
      }
      if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
        result.append(relative)
      }
    }
    return result.sorted()
  }

  static func absolute(_ path: String) -> String {
    let expanded = (path as NSString).expandingTildeInPath
    let joined = expanded.hasPrefix("/") ? expanded : FileManager.default.currentDirectoryPath + "/" + expanded
    return (joined as NSString).standardizingPath
  }

  private static func displayPrefix(_ path: String) -> String {
    if path.isEmpty || path == "." || path == "./" { return "" }
    return path.hasSuffix("/") ? path : path + "/"
  }
}
