import BerthModel
import Crypto
import Foundation

/// Digests of files and folders: sha256 over every file in sorted relative-path order.
public struct ContentHasher: Sendable {
  /// The digest of a file or folder, and what it covers.
  public struct Digest: Hashable, Sendable {
    public var sha256: String
    public var sizeBytes: Int64
    public var fileCount: Int
  }

  public var cache: HashCache

  public init(cache: HashCache) {
    self.cache = cache
  }

  /// Digest of `path`. A folder's digest covers each file's relative path, size and content; a file's is its bytes' sha256.
  public func digest(of path: String) throws -> Digest {
    // One `stat` tells a folder from a file and is the file's cache key.
    var info = stat()
    guard stat(path, &info) == 0 else { throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path]) }
    if info.st_mode & S_IFMT != S_IFDIR {
      let (sha, size) = try fileDigest(path, key: HashCache.key(for: path, info: info))
      return Digest(sha256: sha, sizeBytes: size, fileCount: 1)
    }
    var hasher = SHA256()
    var total: Int64 = 0
    var count = 0
    for relative in try Self.files(under: path) {
      let (sha, size) = try fileDigest(path + "/" + relative)
      hasher.update(data: Data("\(relative)\u{0}\(size)\u{0}\(sha)\n".utf8))
      total += size
      count += 1
    }
    return Digest(sha256: Hex.encode(hasher.finalize()), sizeBytes: total, fileCount: count)
  }

  /// Regular files below `root`, relative, sorted by bytes; caches and hidden files are skipped.
  static func files(under root: String) throws -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
    var result: [String] = []
    while let relative = enumerator.nextObject() as? String {
      let name = (relative as NSString).lastPathComponent
      let type = enumerator.fileAttributes?[.type] as? FileAttributeType
      if name.hasPrefix(".") || name == "__pycache__" {
        if type == .typeDirectory { enumerator.skipDescendants() }
        continue
      }
      if type == .typeRegular || type == .typeSymbolicLink { result.append(relative) }
    }
    return result.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
  }

  private func fileDigest(_ path: String) throws -> (String, Int64) {
    try fileDigest(path, key: HashCache.key(for: path))
  }

  private func fileDigest(_ path: String, key: HashCache.Key?) throws -> (String, Int64) {
    if let key, let cached = cache.lookup(key) { return (cached, key.size) }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: path])
    }
    defer { try? handle.close() }
    var hasher = SHA256()
    var size: Int64 = 0
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
      hasher.update(data: chunk)
      size += Int64(chunk.count)
    }
    let sha = Hex.encode(hasher.finalize())
    if let key { cache.store(key, sha) }
    return (sha, size)
  }
}
