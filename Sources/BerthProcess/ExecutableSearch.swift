import Foundation

/// Finds programs on a `PATH`-style search list.
package enum ExecutableSearch {
  /// Resolves `name` against `searchPath` (colon-separated); absolute or relative paths pass through.
  package static func resolve(_ name: String, searchPath: String?) -> String? {
    if name.contains("/") {
      return FileManager.default.isExecutableFile(atPath: name) ? name : nil
    }
    return candidates(named: name, searchPath: searchPath).first
  }

  /// Every executable called `name` on `searchPath`, in search order.
  package static func candidates(named name: String, searchPath: String?) -> [String] {
    let directories = (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
    return directories.compactMap { directory in
      let path = (directory.isEmpty ? "." : directory) + "/" + name
      return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
  }
}
