import BerthModel
import Foundation

/// What registering a model will read: only regular, readable files, and not nothing at all.
///
/// A FIFO inside a model folder would block `plan` forever and an unreadable file would fail it halfway; both are
/// found here, at the model's `path:` line. An empty file or folder is allowed but warned about.
enum ModelContentRules {
  /// Entries looked at in one model folder before the walk stops (the hash at plan time reads them all anyway).
  static let walkLimit = 100_000

  /// `kind` is what `path` was found to be (by the path checks, which `stat`ed it already).
  static func check(_ path: String, kind: FileCheck.Kind, shown: String, at location: SourceLocation?) -> [Diagnostic] {
    switch kind {
    case .regular(let size):
      return size == 0
        ? [
          .warning(
            "model file '\(shown)' is empty (0 bytes)", at: location, hint: "a model with no bytes cannot be loaded by init()")
        ]
        : []
    case .directory:
      return checkFolder(path, shown: shown, at: location)
    case .special:
      return []
    }
  }

  private static func checkFolder(_ root: String, shown: String, at location: SourceLocation?) -> [Diagnostic] {
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
    var diagnostics: [Diagnostic] = []
    var files = 0
    var bytes: Int64 = 0
    var seen = 0
    while let relative = enumerator.nextObject() as? String, seen < walkLimit {
      seen += 1
      let name = (relative as NSString).lastPathComponent
      let full = root + "/" + relative
      if name.hasPrefix(".") || name == "__pycache__" {
        if case .success(.directory) = FileCheck.kind(of: full) { enumerator.skipDescendants() }
        continue
      }
      let item = (shown.hasSuffix("/") ? shown : shown + "/") + relative
      switch FileCheck.kind(of: full) {
      case .success(.regular(let size)):
        if let problem = FileCheck.unreadable(full) {
          diagnostics.append(.error("cannot read '\(item)' in model folder '\(shown)': \(problem)", at: location))
        }
        files += 1
        bytes += size
      case .success(.directory):
        break
      case .success(.special(let kind)):
        diagnostics.append(
          .error(
            "'\(item)' in model folder '\(shown)' is a \(kind)", at: location,
            hint: "a model folder holds regular files only; remove it or move the model elsewhere"))
      case .failure(let problem):
        diagnostics.append(.error("cannot read '\(item)' in model folder '\(shown)': \(problem)", at: location))
      }
      if diagnostics.count >= 10 { break }
    }
    if diagnostics.isEmpty && bytes == 0 {
      diagnostics.append(
        .warning(
          files == 0 ? "model folder '\(shown)' has no files" : "model folder '\(shown)' holds only empty files",
          at: location, hint: "a model with no bytes cannot be loaded by init()"))
    }
    return diagnostics
  }
}
