import BerthTesting
import Foundation
import Testing

@testable import BerthModelStore

/// The hash cache file: what `save` writes is read back whole; anything else is ignored, never half-trusted.
@Suite struct HashCacheTests {
  @Test func savedEntriesAreReadBackAndHit() throws {
    let folder = NSTemporaryDirectory() + "berth-hash-cache-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var keys: [HashCache.Key] = []
    let cache = HashCache(file: folder + "/hashes.bin")
    for index in 0..<3 {
      try "model \(index)\n".write(toFile: folder + "/m\(index).bin", atomically: true, encoding: .utf8)
      let key = try #require(HashCache.key(for: folder + "/m\(index).bin"))
      cache.store(key, "digest-\(index)")
      keys.append(key)
    }
    cache.save()
    let data = try #require(FileManager.default.contents(atPath: folder + "/hashes.bin"))
    let read = try #require(HashCache.entries(in: [UInt8](data)), "the reader takes what save writes")
    #expect(keys.map { read[$0.path]?.key } == keys)
    let reopened = HashCache(file: folder + "/hashes.bin")
    #expect(keys.map { reopened.lookup($0) } == ["digest-0", "digest-1", "digest-2"])
    // A changed file misses.
    try "model 0, changed\n".write(toFile: folder + "/m0.bin", atomically: true, encoding: .utf8)
    #expect(reopened.lookup(try #require(HashCache.key(for: folder + "/m0.bin"))) == nil)
    // A cut-short file, another format (the JSON of earlier versions) and trailing bytes are not caches.
    #expect(HashCache.entries(in: Array(data.dropLast(3))) == nil)
    #expect(HashCache.entries(in: Array(#"[{"key": {"path": "x"}}]"#.utf8)) == nil)
    #expect(HashCache.entries(in: Array(data) + [0]) == nil)
    try Data(data.prefix(data.count / 2)).write(to: URL(fileURLWithPath: folder + "/hashes.bin"))
    #expect(HashCache(file: folder + "/hashes.bin").lookup(keys[1]) == nil)
  }
}
