import BerthTesting
import Foundation
import Testing

@testable import BerthModelStore

/// The hash cache file read back: through the fast reader for what `save` writes, `JSONDecoder` for anything else.
@Suite struct HashCacheTests {
  @Test func savedEntriesAreReadBackByTheFastReaderAndHit() throws {
    let folder = NSTemporaryDirectory() + "berth-hash-cache-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var keys: [HashCache.Key] = []
    let cache = HashCache(file: folder + "/hashes.json")
    for index in 0..<3 {
      try "model \(index)\n".write(toFile: folder + "/m\(index).bin", atomically: true, encoding: .utf8)
      let key = try #require(HashCache.key(for: folder + "/m\(index).bin"))
      cache.store(key, "digest-\(index)")
      keys.append(key)
    }
    cache.save()
    let data = try #require(FileManager.default.contents(atPath: folder + "/hashes.json"))
    let fast = try #require(HashCache.fastEntries(data), "the fast reader takes what save writes")
    #expect(fast.map(\.sha256) == ["digest-0", "digest-1", "digest-2"] && fast.map(\.key) == keys)
    let reopened = HashCache(file: folder + "/hashes.json")
    #expect(keys.map { reopened.lookup($0) } == ["digest-0", "digest-1", "digest-2"])
    // A changed file misses.
    try "model 0, changed\n".write(toFile: folder + "/m0.bin", atomically: true, encoding: .utf8)
    #expect(reopened.lookup(try #require(HashCache.key(for: folder + "/m0.bin"))) == nil)
    // Another shape (a hand-edited file) is left to JSONDecoder, which refuses what is not an entry list.
    #expect(HashCache.fastEntries(Data(#"[{"key": {"path": "x"}}]"#.utf8)) == nil)
  }
}
