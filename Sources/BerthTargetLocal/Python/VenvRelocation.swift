import Foundation

/// Rewrites absolute paths baked into a virtual environment after it moves.
///
/// Venvs created by `python -m venv` and pip embed their own path in script
/// shebangs and activation scripts; uv's `--relocatable` venvs do not, so
/// for them this finds nothing to change.
enum VenvRelocation {
  /// Replaces `oldRoot` with `newRoot` in the text files of `<root>/bin` and `<root>/pyvenv.cfg`.
  static func rewrite(root: String, from oldRoot: String, to newRoot: String) throws {
    let fileManager = FileManager.default
    let bin = root + "/bin"
    let names = (try? fileManager.contentsOfDirectory(atPath: bin)) ?? []
    let files = names.map { bin + "/" + $0 } + [root + "/pyvenv.cfg"]
    let old = Data(oldRoot.utf8)
    let new = Data(newRoot.utf8)
    for path in files {
      guard let attributes = try? fileManager.attributesOfItem(atPath: path),
        attributes[.type] as? FileAttributeType == .typeRegular,
        let size = attributes[.size] as? Int, size < 4 << 20,
        let data = fileManager.contents(atPath: path), data.range(of: old) != nil,
        !data.prefix(8192).contains(0)
      else { continue }
      var rewritten = Data()
      var rest = data[...]
      while let range = rest.range(of: old) {
        rewritten.append(rest[rest.startIndex..<range.lowerBound])
        rewritten.append(new)
        rest = rest[range.upperBound...]
      }
      rewritten.append(rest)
      try rewritten.write(to: URL(fileURLWithPath: path))
      if let permissions = attributes[.posixPermissions] {
        try fileManager.setAttributes([.posixPermissions: permissions], ofItemAtPath: path)
      }
    }
  }
}
