import Foundation

/// One entry of a layer: a path inside the image and what is there.
public struct LayerEntry: Hashable, Sendable {
  public enum Content: Hashable, Sendable {
    case directory
    /// A regular file copied from `source` on this machine.
    case file(source: String, size: Int)
    /// A regular file with these bytes (a launcher script, a generated file).
    case bytes(Data)
    case symlink(target: String)
  }

  /// Relative to `/`, without a leading slash: `var/azureml-app/score.py`.
  public var path: String
  public var content: Content
  /// Permission bits; normalised to 0755 / 0644 (0777 for symlinks) so checkouts with other umasks agree.
  public var mode: UInt32
}

/// The files of one layer, keyed by image path; parents are added implicitly, entries come out sorted.
public struct LayerTree: Sendable {
  private(set) var entries: [String: LayerEntry] = [:]

  public init() {}

  public var isEmpty: Bool { entries.isEmpty }

  /// Every entry, sorted by path bytes: the order the tar is written in.
  public var sortedEntries: [LayerEntry] {
    entries.values.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
  }

  /// Adds a directory and its parents.
  public mutating func addDirectory(_ imagePath: String) {
    var path = ""
    for component in Self.components(imagePath) {
      path = path.isEmpty ? component : path + "/" + component
      if entries[path] == nil { entries[path] = LayerEntry(path: path, content: .directory, mode: 0o755) }
    }
  }

  /// Adds a file with `data` as its content.
  public mutating func addBytes(_ imagePath: String, _ data: Data, executable: Bool = false) {
    let path = Self.components(imagePath).joined(separator: "/")
    addParents(of: path)
    entries[path] = LayerEntry(path: path, content: .bytes(data), mode: executable ? 0o755 : 0o644)
  }

  /// Adds `source` (a file, folder or symlink on this machine) at `imagePath`; folders are walked, symlinks kept.
  public mutating func add(source: String, at imagePath: String, excluding: (String) -> Bool = { _ in false }) throws {
    let path = Self.components(imagePath).joined(separator: "/")
    var info = stat()
    guard lstat(source, &info) == 0 else {
      throw ImageBuildError("cannot read '\(source)': \(String(cString: strerror(errno)))")
    }
    switch info.st_mode & S_IFMT {
    case S_IFDIR:
      addDirectory(path)
      let names = try FileManager.default.contentsOfDirectory(atPath: source).sorted()
      for name in names {
        let child = path + "/" + name
        if excluding(child) { continue }
        try add(source: source + "/" + name, at: child, excluding: excluding)
      }
    case S_IFLNK:
      let target = try FileManager.default.destinationOfSymbolicLink(atPath: source)
      addParents(of: path)
      entries[path] = LayerEntry(path: path, content: .symlink(target: target), mode: 0o777)
    case S_IFREG:
      addParents(of: path)
      let executable = info.st_mode & 0o111 != 0
      entries[path] = LayerEntry(
        path: path, content: .file(source: source, size: Int(info.st_size)), mode: executable ? 0o755 : 0o644)
    default:
      throw ImageBuildError("'\(source)' is neither a file, a folder nor a symbolic link; it cannot go into an image")
    }
  }

  /// A digest of every path, mode and content: equal fingerprints give byte-identical layers.
  public func fingerprint(salt: String) throws -> String {
    var text = "berth-layer-tree:v1\n\(salt)\n"
    for entry in sortedEntries {
      switch entry.content {
      case .directory: text += "d \(entry.path) \(String(entry.mode, radix: 8))\n"
      case .symlink(let target): text += "l \(entry.path) \(target)\n"
      case .bytes(let data): text += "f \(entry.path) \(String(entry.mode, radix: 8)) \(Digest.sha256(data))\n"
      case .file(let source, _):
        text += "f \(entry.path) \(String(entry.mode, radix: 8)) \(try Digest.sha256(ofFile: source))\n"
      }
    }
    return Digest.sha256(text)
  }

  private mutating func addParents(of path: String) {
    let parts = path.split(separator: "/")
    if parts.count > 1 { addDirectory(parts.dropLast().joined(separator: "/")) }
  }

  private static func components(_ path: String) -> [String] {
    path.split(separator: "/").map(String.init).filter { $0 != "." }
  }
}
