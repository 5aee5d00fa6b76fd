import BerthModel
import Foundation

/// Checks that files and folders named in manifests exist and stay inside the manifest root.
struct PathRules {
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

  init(root: String) {
    self.root = root
    self.resolvedRoot = Self.realPath(root) ?? root
  }

  func check(_ resources: [Resource]) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    for resource in resources {
      switch resource.spec {
      case .model(let spec):
        check(spec.path, field: "path", in: resource, expect: .fileOrFolder, into: &diagnostics)
      case .environment(let spec):
        check(spec.condaFile, field: "conda_file", in: resource, expect: .file, into: &diagnostics)
      case .inferenceConfig(let spec):
        if check(spec.sourceDirectory, field: "source_directory", in: resource, expect: .folder, into: &diagnostics) {
          check(
            spec.sourceDirectory + "/" + spec.entryScript, shown: spec.entryScript, field: "entry_script", in: resource,
            expect: .file, into: &diagnostics, hint: "entry_script is relative to source_directory '\(spec.sourceDirectory)'")
        }
      case .service(let spec):
        if case .string(let input)? = spec.deployment["input_path"] {
          check(input, field: "deployment.input_path", in: resource, expect: .folder, into: &diagnostics)
        }
      case .workspace, .computeTarget, .endpoint:
        break
      }
    }
    return diagnostics
  }

  /// Returns whether the path is valid.
  @discardableResult
  private func check(
    _ path: String, shown: String? = nil, field: String, in resource: Resource, expect: Expectation,
    into diagnostics: inout [Diagnostic], hint: String? = nil
  ) -> Bool {
    let location = resource.location(of: field)
    let shown = shown ?? path
    if path.hasPrefix("/") || path.hasPrefix("~") {
      diagnostics.append(
        .error(
          "'\(field)' must be relative to the manifest file, found absolute path '\(shown)'", at: location,
          hint: "manifests are portable between machines; keep files inside the repository"))
      return false
    }
    let full = Self.lexicallyNormalized(resource.baseDirectory + "/" + path)
    // A path that does not exist cannot resolve; its lexical form is checked instead.
    let resolved = Self.realPath(full) ?? full
    if !Self.isInside(resolved, resolvedRoot) {
      diagnostics.append(
        .error(
          "path '\(shown)' in '\(field)' escapes the manifest root", at: location,
          hint: "files must live under the folder given to --dir"))
      return false
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else {
      diagnostics.append(.error("\(expect.noun) '\(shown)' named by '\(field)' does not exist", at: location, hint: hint))
      return false
    }
    switch (expect, isDirectory.boolValue) {
    case (.file, true):
      diagnostics.append(.error("'\(field)' must name a file, but '\(shown)' is a folder", at: location))
      return false
    case (.folder, false):
      diagnostics.append(.error("'\(field)' must name a folder, but '\(shown)' is a file", at: location))
      return false
    default:
      return true
    }
  }

  /// The canonical path with every symbolic link resolved (libc `realpath`), or nil when it does not exist.
  static func realPath(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
  }

  /// Removes `.`, `..` and repeated slashes without touching the file system.
  static func lexicallyNormalized(_ path: String) -> String {
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

  static func isInside(_ path: String, _ root: String) -> Bool {
    path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
  }
}
