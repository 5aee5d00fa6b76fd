import BerthModel
import Crypto
import Foundation

/// Reads every manifest under a folder: finds files, parses, validates, checks referenced paths.
public struct ManifestLoader: Sendable {
  public init() {}

  /// Loads `path` (a folder searched recursively, or one file). Problems become diagnostics; never throws.
  ///
  /// Diagnostics print file paths as `path` was written; `displayPath` replaces it (tests use a stable name).
  /// `overlays` are folders whose documents patch the base documents of the same kind and name (see Overlay).
  /// With a `cache`, files unchanged since an earlier run are taken from it instead of being read and parsed.
  public func load(path: String, displayPath: String? = nil, overlays: [String] = [], cache: ManifestCache? = nil)
    -> ManifestSet
  {
    let shownPath = displayPath ?? path
    let base = Self.read(path, shownAs: shownPath, cache: cache)
    guard let baseRoot = base.root else {
      return ManifestSet(
        root: Self.absolute(path), files: [], resources: [],
        diagnostics: [.error("manifest folder '\(shownPath)' does not exist")])
    }
    var documents = base.documents
    var diagnostics = base.diagnostics
    var files = base.files
    var root = baseRoot
    for overlayPath in overlays {
      let overlay = Self.read(overlayPath, shownAs: overlayPath, cache: cache)
      guard let overlayRoot = overlay.root else {
        diagnostics.append(.error("overlay folder '\(overlayPath)' does not exist"))
        continue
      }
      root = Overlay.commonAncestor(root, overlayRoot)
      diagnostics += overlay.diagnostics
      files += overlay.files
      documents = Overlay.apply(overlay.documents, to: documents)
    }
    if files.isEmpty && diagnostics.isEmpty {
      diagnostics.append(
        .error(
          "no Berth manifests found in '\(shownPath)'", hint: "manifests are *.yaml or *.yml files with 'apiVersion: berth/v1'"))
    }
    // Documents are independent: validate them on every core, then keep them in file order.
    let validated = ParallelMap.map(documents) { document in
      DocumentValidator.resource(from: document.node, baseDirectory: document.baseDirectory)
    }
    var resources: [Resource] = []
    var invalidAddresses: Set<ResourceAddress> = []
    // A service decoded only to be checked comes with errors, so the set is invalid and never planned.
    for (document, (resource, problems, _)) in zip(documents, validated) {
      diagnostics += problems
      if let resource {
        resources.append(resource)
      } else if let address = DocumentValidator.declaredAddress(of: document.node) {
        invalidAddresses.insert(address)
      }
    }
    diagnostics += Self.duplicates(in: resources)
    diagnostics += PathRules(root: root).check(resources)
    var set = ManifestSet(
      root: baseRoot, files: files.map(\.display), resources: resources, diagnostics: diagnostics,
      invalidAddresses: invalidAddresses)
    set.absoluteFiles = files.map(\.fullPath)
    set.contentDigest = Self.contentDigest(files)
    return set
  }

  /// One digest of every manifest file's path and bytes, from the per-file digests taken when each was read.
  static func contentDigest(_ files: [(fullPath: String, display: String, digest: [UInt8])]) -> String {
    var hasher = SHA256()
    for file in files.sorted(by: { $0.fullPath < $1.fullPath }) {
      hasher.update(data: Data(file.fullPath.utf8))
      hasher.update(data: file.digest)
    }
    return Hex.encode(hasher.finalize())
  }

  /// The folder a manifest path's relative paths start from: the folder itself, or a file's folder.
  public static func rootFolder(of path: String) -> String {
    let absolute = Self.absolute(path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory), !isDirectory.boolValue else {
      return absolute
    }
    return (absolute as NSString).deletingLastPathComponent
  }

  /// One Berth document and the folder its relative paths start from.
  struct Document: Sendable {
    var node: ManifestNode
    var baseDirectory: String
  }

  /// The documents of a folder (or file), before validation.
  struct Read: Sendable {
    var root: String?
    var files: [(fullPath: String, display: String, digest: [UInt8])] = []
    var documents: [Document] = []
    var diagnostics: [Diagnostic] = []
  }

  static func read(_ path: String, shownAs shownPath: String, cache: ManifestCache?) -> Read {
    let absolute = Self.absolute(path)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else { return Read(root: nil) }
    let root = isDirectory.boolValue ? absolute : (absolute as NSString).deletingLastPathComponent
    let relativeFiles = isDirectory.boolValue ? Self.manifestFiles(under: absolute) : [(absolute as NSString).lastPathComponent]
    let displayPrefix =
      isDirectory.boolValue
      ? Self.displayPrefix(shownPath) : Self.displayPrefix((shownPath as NSString).deletingLastPathComponent)
    // Files are independent: read and parse them on every core, then keep them in file order.
    let outcomes = ParallelMap.map(relativeFiles) { relative in
      Self.loadFile(fullPath: root + "/" + relative, display: displayPrefix + relative, cache: cache)
    }
    var read = Read(root: root)
    for outcome in outcomes {
      if outcome.isManifest { read.files.append((outcome.fullPath, outcome.display, outcome.digest)) }
      read.diagnostics += outcome.diagnostics
      read.documents += outcome.documents
    }
    return read
  }

  struct FileOutcome: Sendable {
    var fullPath: String
    var display: String
    var isManifest = false
    var documents: [Document] = []
    var diagnostics: [Diagnostic] = []
    /// SHA-256 of the file's bytes, when they were read.
    var digest: [UInt8] = []
  }

  /// The outcome of one file: from the cache when its identity is unchanged, else read and parsed (and stored).
  static func loadFile(fullPath: String, display: String, cache: ManifestCache?) -> FileOutcome {
    guard let cache else { return parseFile(fullPath: fullPath, display: display) }
    let readAt = ManifestCache.now()
    let key = ManifestCache.FileKey.of(fullPath)
    let baseDirectory = (fullPath as NSString).deletingLastPathComponent
    if let key, let parsed = cache.lookup(fullPath, key: key, display: display) {
      var outcome = FileOutcome(fullPath: fullPath, display: display, isManifest: parsed.isManifest, digest: parsed.digest)
      outcome.documents = parsed.documents.map { Document(node: $0, baseDirectory: baseDirectory) }
      return outcome
    }
    let outcome = parseFile(fullPath: fullPath, display: display)
    // A file with problems is parsed again next time, so they are reported again.
    if let key, outcome.diagnostics.isEmpty {
      cache.store(
        fullPath, key: key, readAt: readAt,
        parsed: ManifestCache.Parsed(
          isManifest: outcome.isManifest, digest: outcome.digest, documents: outcome.documents.map(\.node)))
    }
    return outcome
  }

  static func parseFile(fullPath: String, display: String) -> FileOutcome {
    var outcome = FileOutcome(fullPath: fullPath, display: display)
    let start = SourceLocation(file: display, line: 1, column: 1)
    let file: FileCheck.Regular
    switch FileCheck.regularFile(fullPath) {
    case .success(let regular): file = regular
    case .failure(let problem):
      // A FIFO or socket named *.yaml would block the read; what is not a regular file is not a manifest.
      if case .notRegular = problem { return outcome }
      outcome.diagnostics.append(.error("cannot read '\(display)': \(problem)", at: start))
      return outcome
    }
    if file.size > ManifestLimits.fileBytes {
      // Large YAML data files often sit beside manifests: only one that says it is Berth's is an error.
      let head = FileCheck.head(of: fullPath, bytes: 64 << 10) ?? Data()
      guard head.range(of: Data("berth/".utf8)) != nil else { return outcome }
      outcome.isManifest = true
      outcome.diagnostics.append(
        .error(
          "'\(display)' is \(file.size) bytes, more than the \(ManifestLimits.fileBytes) bytes a manifest file may have",
          at: start, hint: "split the manifests into several files"))
      return outcome
    }
    guard let data = FileManager.default.contents(atPath: fullPath) else {
      outcome.diagnostics.append(.error("cannot read '\(display)'", at: start))
      return outcome
    }
    guard Self.mayHoldBerthDocuments(data) else { return outcome }  // a conda file, a data file: never parsed
    let bytes = [UInt8](data)
    guard let text = String(validating: bytes, as: UTF8.self) else {
      let position = TextPosition.firstInvalidUTF8(in: bytes) ?? (line: 1, column: 1)
      outcome.isManifest = true
      outcome.diagnostics.append(
        .error(
          "'\(display)' is not UTF-8 text", at: SourceLocation(file: display, line: position.line, column: position.column),
          hint: "save the file as UTF-8"))
      return outcome
    }
    outcome.digest = Array(SHA256.hash(data: data))
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
    outcome.documents = berthDocuments.map { Document(node: $0, baseDirectory: baseDirectory) }
    return outcome
  }

  /// Whether a file's bytes can hold a Berth document at all: every one has a `kind` or an `apiVersion: berth/…`.
  static func mayHoldBerthDocuments(_ data: Data) -> Bool {
    data.range(of: Data("kind".utf8)) != nil || data.range(of: Data("berth/".utf8)) != nil
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
    // Indexes, not copies: a Resource is a large value, and 100,000 of them were copied into this table.
    var first: [ResourceAddress: Int] = [:]
    first.reserveCapacity(resources.count)
    var diagnostics: [Diagnostic] = []
    var workspace: Int?
    for index in resources.indices {
      let address = resources[index].address
      if address.kind == .workspace {
        if let workspace {
          diagnostics.append(
            .error(
              "only one Workspace may be declared", at: resources[index].location,
              hint: "the first is at \(resources[workspace].location)"))
          continue
        }
        workspace = index
      }
      if let earlier = first[address] {
        diagnostics.append(
          .error(
            "duplicate \(address.kind.rawValue) name '\(address.name)'",
            at: resources[index].location(of: "metadata.name"),
            hint: "first declared at \(resources[earlier].location(of: "metadata.name"))"))
      } else {
        first[address] = index
      }
    }
    return diagnostics
  }

  /// Manifest files below `root`, relative and sorted; hidden folders (.git, .berth) are skipped.
  /// Every `*.yaml` / `*.yml` under `root` (relative paths, sorted), skipping hidden files and folders.
  ///
  /// Walks with `readdir` and the entries' own types: a repository of 100,000 model files beside its manifests is
  /// listed without a `stat` per file (which `FileManager`'s enumerator makes). Symbolic links to folders are not
  /// followed; an entry of unknown type is `lstat`ed.
  static func manifestFiles(under root: String) -> [String] {
    var result: [String] = []
    var pending: [String] = [""]
    while let relative = pending.popLast() {
      guard let directory = opendir(relative.isEmpty ? root : root + "/" + relative) else { continue }
      defer { closedir(directory) }
      while let entry = readdir(directory) {
        // The name is read in place: an entry is only as long as its name (`d_reclen`), so copying the struct's
        // 256-byte `d_name` can read past the end of readdir's buffer (and did, at the end of a page).
        let raw = UnsafeRawPointer(entry)
        let name = String(cString: (raw + Self.direntNameOffset).assumingMemoryBound(to: CChar.self))
        if name.hasPrefix(".") { continue }
        let path = relative.isEmpty ? name : relative + "/" + name
        var type = raw.load(fromByteOffset: Self.direntTypeOffset, as: UInt8.self)
        if type == UInt8(DT_UNKNOWN) {
          var info = stat()
          guard lstat(root + "/" + path, &info) == 0 else { continue }
          type = (info.st_mode & S_IFMT) == S_IFDIR ? UInt8(DT_DIR) : UInt8(DT_REG)
        }
        if type == UInt8(DT_DIR) {
          pending.append(path)
        } else if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
          result.append(path)
        }
      }
    }
    return result.sorted()
  }

  private static let direntNameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
  private static let direntTypeOffset = MemoryLayout<dirent>.offset(of: \dirent.d_type)!

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
