import BerthModel
import Foundation

/// Checks that files and folders named in manifests exist and stay inside the manifest root.
struct PathRules: Sendable {
  enum Expectation {
    case file
    case folder
    case fileOrFolder

    var noun: String {
      switch self {
      case .file: "file"
      case .folder: "folder"
      case .fileOrFolder: "file or folder"
      }
    }
  }

  let root: String
  private let resolvedRoot: String
  private let folders = FolderResolver()

  init(root: String) {
    self.root = root
    self.resolvedRoot = Self.realPath(root) ?? root
  }

  /// The problems of every resource's paths, in resource order; resources are checked on every core.
  func check(_ resources: [Resource]) -> [Diagnostic] {
    ParallelMap.map(resources) { resource in check(resource) }.flatMap { $0 }
  }

  private func check(_ resource: Resource) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    switch resource.spec {
    case .model(let spec):
      if let kind = check(spec.path, field: "path", in: resource, expect: .fileOrFolder, into: &diagnostics) {
        diagnostics += ModelContentRules.check(
          resource.baseDirectory + "/" + spec.path, kind: kind, shown: spec.path, at: resource.location(of: "path"))
      }
    case .environment(let spec):
      if check(spec.condaFile, field: "conda_file", in: resource, expect: .file, into: &diagnostics) != nil {
        let display = ((resource.location.file as NSString).deletingLastPathComponent as NSString)
          .appendingPathComponent(spec.condaFile)
        diagnostics += CondaFileRules.check(
          path: resource.baseDirectory + "/" + spec.condaFile, display: display,
          reference: resource.location(of: "conda_file"))
      }
    case .inferenceConfig(let spec):
      if check(spec.sourceDirectory, field: "source_directory", in: resource, expect: .folder, into: &diagnostics) != nil {
        check(
          spec.sourceDirectory + "/" + spec.entryScript, shown: spec.entryScript, field: "entry_script", in: resource,
          expect: .file, into: &diagnostics, hint: "entry_script is relative to source_directory '\(spec.sourceDirectory)'")
      }
    case .service(let spec):
      if case .string(let input)? = spec.deployment["input_path"] {
        check(input, field: "deployment.input_path", in: resource, expect: .folder, into: &diagnostics)
      }
      // A batch job writes its results there: it need not exist yet, but it stays in the repository.
      if case .string(let output)? = spec.deployment["output_path"] {
        checkStaysInside(output, field: "deployment.output_path", in: resource, into: &diagnostics)
      }
    case .workspace(let spec):
      for (field, path) in [("model_store", spec.modelStore), ("environment_cache", spec.environmentCache)] {
        checkStaysInside(path, field: field, in: resource, into: &diagnostics)
      }
    case .computeTarget, .endpoint:
      break
    }
    return diagnostics
  }

  /// What the path names when it is valid (its `stat`, for the checks that follow), nil when it is not.
  @discardableResult
  private func check(
    _ path: String, shown: String? = nil, field: String, in resource: Resource, expect: Expectation,
    into diagnostics: inout [Diagnostic], hint: String? = nil
  ) -> FileCheck.Kind? {
    let location = resource.location(of: field)
    let shown = shown ?? path
    if path.hasPrefix("/") || path.hasPrefix("~") {
      diagnostics.append(
        .error(
          "'\(field)' must be relative to the manifest file, found absolute path '\(shown)'", at: location,
          hint: "manifests are portable between machines; keep files inside the repository"))
      return nil
    }
    let full = Self.lexicallyNormalized(resource.baseDirectory + "/" + path)
    // A path that does not exist cannot resolve; its lexical form is checked instead.
    let (canonical, known) = folders.resolve(full)
    let resolved = canonical ?? full
    if !Self.isInside(resolved, resolvedRoot) {
      diagnostics.append(
        .error(
          "path '\(shown)' in '\(field)' escapes the manifest root", at: location,
          hint: "files must live under the folder given to --dir"))
      return nil
    }
    let kind: FileCheck.Kind
    switch known.map({ .success($0) }) ?? FileCheck.kind(of: full) {
    case .failure(.missing):
      diagnostics.append(.error("\(expect.noun) '\(shown)' named by '\(field)' does not exist", at: location, hint: hint))
      return nil
    case .failure(let problem):
      diagnostics.append(.error("cannot read '\(shown)' named by '\(field)': \(problem)", at: location, hint: hint))
      return nil
    case .success(.special(let kind)):
      // Reading a FIFO blocks forever; sockets and devices are not model or source files either.
      diagnostics.append(
        .error(
          "'\(field)' must name a regular \(expect.noun), but '\(shown)' is a \(kind)", at: location,
          hint: "Berth reads only regular files and folders"))
      return nil
    case .success(.directory): kind = .directory
    case .success(.regular(let size)):
      if let problem = FileCheck.unreadable(full) {
        diagnostics.append(.error("cannot read '\(shown)' named by '\(field)': \(problem)", at: location, hint: hint))
        return nil
      }
      kind = .regular(size: size)
    }
    switch (expect, kind == .directory) {
    case (.file, true):
      diagnostics.append(.error("'\(field)' must name a file, but '\(shown)' is a folder", at: location))
      return nil
    case (.folder, false):
      diagnostics.append(.error("'\(field)' must name a folder, but '\(shown)' is a file", at: location))
      return nil
    default:
      return kind
    }
  }

  /// Workspace folders Berth writes to (model store, environment cache) must stay inside the manifest root.
  ///
  /// The environment cache alone may be an absolute path: a machine-wide cache shared by workspaces is a deliberate
  /// choice (environments are immutable once built and keyed by their content), while a relative path that climbs
  /// out of the root (`../../..`) is an accident. The model store is the workspace's registry and stays inside.
  private func checkStaysInside(
    _ path: String, field: String, in resource: Resource, into diagnostics: inout [Diagnostic]
  ) {
    let location = resource.location(of: field)
    if field == "environment_cache", path.hasPrefix("/") { return }
    if path.hasPrefix("/") || path.hasPrefix("~") {
      diagnostics.append(
        .error(
          "'\(field)' must be relative to the manifest root, found absolute path '\(path)'", at: location,
          hint: "Berth writes there; keep it inside the workspace (the default is under .berth/)"))
      return
    }
    let full = Self.lexicallyNormalized(resource.baseDirectory + "/" + path)
    // A folder that exists is judged by where its links lead; one not made yet by its written form.
    let inside =
      Self.realPath(full).map { Self.isInside($0, resolvedRoot) } ?? Self.isInside(full, Self.lexicallyNormalized(root))
    if !inside {
      diagnostics.append(
        .error(
          "path '\(path)' in '\(field)' escapes the manifest root", at: location,
          hint: "Berth writes there; keep it inside the workspace (the default is under .berth/)"))
    }
  }

  /// The canonical path with every symbolic link resolved (libc `realpath`), or nil when it does not exist.
  /// (`FolderResolver` gives the same answer resolving each folder once.)
  static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  /// Removes `.`, `..` and repeated slashes without touching the file system.
  static func lexicallyNormalized(_ path: String) -> String {
    if isNormalized(path) { return path }
    var parts: [Substring] = []
    for part in path.split(separator: "/", omittingEmptySubsequences: true) {
      switch part {
      case ".": continue
      case "..": if !parts.isEmpty { parts.removeLast() }
      default: parts.append(part)
      }
    }
    return "/" + parts.joined(separator: "/")
  }

  /// Whether an absolute path has no `.` or `..` component, no repeated slash and no trailing slash (the usual case,
  /// checked without splitting it).
  static func isNormalized(_ path: String) -> Bool {
    var previous: UInt8 = 0
    var dots = 0  // dots since the last slash, while nothing else came
    var onlyDots = true
    for byte in path.utf8 {
      if byte == UInt8(ascii: "/") {
        if previous == UInt8(ascii: "/") || (onlyDots && dots > 0 && dots <= 2) { return false }
        dots = 0
        onlyDots = true
      } else if byte == UInt8(ascii: ".") {
        dots += 1
      } else {
        onlyDots = false
      }
      previous = byte
    }
    return path.utf8.first == UInt8(ascii: "/") && previous != UInt8(ascii: "/") && !(onlyDots && dots > 0 && dots <= 2)
  }

  static func isInside(_ path: String, _ root: String) -> Bool {
    path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
  }
}

/// `realpath` for many files in few folders: each folder is resolved once, then a file costs one `lstat`.
///
/// glibc's `realpath` reads every component of the path again (`readlink` on each); 100,000 model files under one
/// `models/` folder made that the largest system-call cost of a plan. A file that is itself a symbolic link is
/// resolved in full, as before.
final class FolderResolver: @unchecked Sendable {
  private let lock = NSLock()
  private var folders: [String: String?] = [:]

  /// `PathRules.realPath(path)` for an absolute, lexically normalised path, and what the path is when it is not a
  /// symbolic link (its `lstat`, which is then also its `stat`: the caller need not ask again).
  func resolve(_ path: String) -> (resolved: String?, kind: FileCheck.Kind?) {
    guard let slash = path.lastIndex(of: "/"), path != "/" else { return (PathRules.realPath(path), nil) }
    var info = stat()
    guard lstat(path, &info) == 0 else { return (nil, nil) }
    if info.st_mode & S_IFMT == S_IFLNK { return (PathRules.realPath(path), nil) }
    let parent = slash == path.startIndex ? "/" : String(path[..<slash])
    guard let folder = resolvedFolder(parent) else { return (nil, nil) }
    return ((folder == "/" ? "" : folder) + "/" + path[path.index(after: slash)...], FileCheck.kind(from: info))
  }

  private func resolvedFolder(_ path: String) -> String? {
    lock.lock()
    if let known = folders[path] {
      lock.unlock()
      return known
    }
    lock.unlock()
    let resolved = PathRules.realPath(path)
    lock.lock()
    folders[path] = resolved
    lock.unlock()
    return resolved
  }
}
