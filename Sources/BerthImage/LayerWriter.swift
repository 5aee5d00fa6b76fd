import Foundation

/// A compressed layer on disk with the digests a manifest and an image config need.
public struct BuiltLayer: Hashable, Sendable, Codable {
  /// The `.tar.gz` file.
  public var path: String
  /// Digest of the compressed bytes (the blob).
  public var digest: String
  /// Digest of the uncompressed tar (the config's `rootfs.diff_ids`).
  public var diffID: String
  /// Compressed size in bytes.
  public var size: Int
}

/// Writes a `LayerTree` as a reproducible `.tar.gz`: sorted tar → deterministic gzip (members compressed on every
/// core) → file, hashing both streams.
enum LayerWriter {
  static func write(_ tree: LayerTree, to path: String) throws -> BuiltLayer {
    let staging = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    _ = FileManager.default.createFile(atPath: staging, contents: nil)
    guard let handle = FileHandle(forWritingAtPath: staging) else { throw ImageBuildError("cannot write '\(staging)'") }
    var compressed = DigestCounter()
    var uncompressed = DigestCounter()
    do {
      let gzip = ParallelGzipWriter { chunk in
        compressed.update(chunk)
        try handle.write(contentsOf: chunk)
      }
      // Small tar writes (headers) are batched so zlib and the file see large chunks.
      var pending = Data()
      let tar = TarWriter { chunk in
        uncompressed.update(chunk)
        pending.append(chunk)
        if pending.count >= 1 << 20 {
          try gzip.write(pending)
          pending.removeAll(keepingCapacity: true)
        }
      }
      try tar.write(tree)
      try gzip.write(pending)
      try gzip.finish()
      try handle.close()
    } catch {
      try? handle.close()
      try? FileManager.default.removeItem(atPath: staging)
      throw error
    }
    try? FileManager.default.removeItem(atPath: path)
    guard rename(staging, path) == 0 else { throw ImageBuildError("cannot move a layer into '\(path)'") }
    return BuiltLayer(path: path, digest: compressed.finalize(), diffID: uncompressed.finalize(), size: compressed.count)
  }
}

/// Built layers kept on disk by the digest of their inputs, so unchanged inputs skip uv, tar and gzip.
public struct LayerCache: Sendable {
  public var directory: String

  public init(directory: String) { self.directory = directory }

  /// The cached layer for `key`, when both its record and its file are intact.
  func lookup(_ key: String) -> BuiltLayer? {
    let record = directory + "/" + Digest.encoded(key) + ".json"
    guard let data = FileManager.default.contents(atPath: record),
      var layer = try? JSONDecoder().decode(BuiltLayer.self, from: data)
    else { return nil }
    layer.path = directory + "/" + Digest.encoded(key) + ".tar.gz"
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: layer.path),
      (attributes[.size] as? NSNumber)?.intValue == layer.size
    else { return nil }
    return layer
  }

  /// The layer for `key`: from the cache, or made by `tree()` and written now. Returns whether it was reused.
  func layer(for key: String, tree: () throws -> LayerTree) throws -> (layer: BuiltLayer, reused: Bool) {
    if let found = lookup(key) { return (found, true) }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let layer = try LayerWriter.write(try tree(), to: directory + "/" + Digest.encoded(key) + ".tar.gz")
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try encoder.encode(layer).write(to: URL(fileURLWithPath: directory + "/" + Digest.encoded(key) + ".json"), options: .atomic)
    return (layer, false)
  }
}
