import BerthTesting
import Foundation
import Testing

@testable import BerthImage

/// Tar and gzip bytes depend only on paths, modes and contents: never on mtimes, owners, umask or walk order.
@Suite struct LayerReproducibilityTests {
  /// Writes a small tree with a long path, an executable and a symlink under `root`.
  func makeTree(at root: String, touch date: Date) throws {
    let deep = root + "/" + String(repeating: "nested-folder/", count: 8) + "file-with-a-long-name.txt"
    try FileManager.default.createDirectory(
      atPath: (deep as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try "deep\n".write(toFile: deep, atomically: true, encoding: .utf8)
    try "print('hi')\n".write(toFile: root + "/score.py", atomically: true, encoding: .utf8)
    try "#!/bin/sh\necho run\n".write(toFile: root + "/run.sh", atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: root + "/run.sh")
    try FileManager.default.createSymbolicLink(atPath: root + "/link.py", withDestinationPath: "score.py")
    for path in [deep, root + "/score.py", root + "/run.sh"] {
      try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
    }
  }

  @Test func equalTreesInDifferentFoldersGiveEqualLayers() throws {
    let first = try ImageTests.scratch("tree-a")
    let second = try ImageTests.scratch("tree-b")
    defer {
      try? FileManager.default.removeItem(atPath: first)
      try? FileManager.default.removeItem(atPath: second)
    }
    try makeTree(at: first + "/src", touch: Date(timeIntervalSince1970: 1_000_000))
    try makeTree(at: second + "/src", touch: Date())
    try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: second + "/src/run.sh")
    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: second + "/src/score.py")
    var a = LayerTree()
    try a.add(source: first + "/src", at: "/var/azureml-app")
    var b = LayerTree()
    try b.add(source: second + "/src", at: "var/azureml-app/")
    let layerA = try LayerWriter.write(a, to: first + "/layer.tar.gz")
    let layerB = try LayerWriter.write(b, to: second + "/layer.tar.gz")
    #expect(layerA.digest == layerB.digest)
    #expect(layerA.diffID == layerB.diffID)
    #expect(try a.fingerprint(salt: "x") == b.fingerprint(salt: "x"))
    #expect(try Digest.sha256(ofFile: layerA.path) == layerA.digest)
  }

  @Test func gnuTarReadsTheLayerWithFixedOwnersAndTimes() async throws {
    let folder = try ImageTests.scratch("tar-read")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try makeTree(at: folder + "/src", touch: Date())
    var tree = LayerTree()
    try tree.add(source: folder + "/src", at: "/var/azureml-app")
    tree.addBytes("/usr/local/bin/tool", Data("#!/bin/sh\n".utf8), executable: true)
    let layer = try LayerWriter.write(tree, to: folder + "/layer.tar.gz")
    // An independent reader: GNU tar (through gzip) lists names, modes, owners and mtimes.
    let listing = try await ImageTests.tool(
      "/bin/tar", ["--numeric-owner", "--full-time", "-tvzf", layer.path], environment: ["TZ": "UTC"])
    let lines = listing.split(separator: "\n").map(String.init)
    #expect(lines.allSatisfy { $0.contains(" 0/0 ") && $0.contains("1970-01-01 00:00:00") }, "\(lines)")
    #expect(lines.contains { $0.hasPrefix("-rwxr-xr-x") && $0.hasSuffix("var/azureml-app/run.sh") })
    #expect(lines.contains { $0.hasPrefix("-rw-r--r--") && $0.hasSuffix("var/azureml-app/score.py") })
    #expect(lines.contains { $0.hasPrefix("lrwxrwxrwx") && $0.hasSuffix("var/azureml-app/link.py -> score.py") })
    #expect(lines.contains { $0.hasSuffix("nested-folder/file-with-a-long-name.txt") && $0.count > 100 })
    #expect(lines.contains { $0.hasPrefix("-rwxr-xr-x") && $0.hasSuffix("usr/local/bin/tool") })
    let names = lines.map { $0.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) ?? "" }
    #expect(lines.first?.hasSuffix(" usr/") == true)
    #expect(names.count == Set(names).count)
    // The gzip header: no name, mtime 0, OS 3 (Unix).
    let head = try FileHandle(forReadingFrom: URL(fileURLWithPath: layer.path)).read(upToCount: 10) ?? Data()
    #expect(Array(head) == [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3])
    // diff ID = digest of the uncompressed stream.
    let tarData = try await ImageTests.run("/bin/sh", ["-c", "gzip -dc '\(layer.path)' | sha256sum"])
    #expect("sha256:" + (tarData.output.split(separator: " ").first.map(String.init) ?? "") == layer.diffID)
  }

  @Test func gzipMembersAreTheSameBytesOnAnyNumberOfCoresAndReadAsOneStream() async throws {
    // 10.5 members of 64 KiB of varied bytes: the last member is a partial one.
    var input = Data()
    var state: UInt64 = 42
    while input.count < 64 * 1024 * 21 / 2 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      input.append(contentsOf: withUnsafeBytes(of: (state >> 33) % 7) { Array($0.prefix(1)) })
    }
    func compressed(parallelism: Int) throws -> Data {
      var output = Data()
      let writer = ParallelGzipWriter(memberSize: 64 * 1024, parallelism: parallelism) { output.append($0) }
      for offset in stride(from: 0, to: input.count, by: 10_000) {
        try writer.write(input[offset..<min(offset + 10_000, input.count)])
      }
      try writer.finish()
      return output
    }
    let one = try compressed(parallelism: 1)
    #expect(try compressed(parallelism: 4) == one)
    #expect(try compressed(parallelism: 3) == one)

    // GNU gzip reads the concatenated members back as the input.
    let file = try ImageTests.scratch("gzip") + "/members.gz"
    try one.write(to: URL(fileURLWithPath: file))
    let output = try await runToEnd("/bin/sh", ["-c", "gzip -dc '\(file)' | sha256sum"])
    #expect(output.status == 0, "\(output.errors)")
    #expect(output.output.hasPrefix(Digest.encoded(Digest.sha256(input))), "\(output.output)")

    // Input that fits one member is exactly the single-stream gzip.
    let small = Data("small layer".utf8)
    var single = Data()
    let writer = ParallelGzipWriter(memberSize: 64 * 1024) { single.append($0) }
    try writer.write(small)
    try writer.finish()
    #expect(single == (try ParallelGzipWriter.compress(small)))
  }

  @Test func cachedLayersAreReusedByKey() throws {
    let folder = try ImageTests.scratch("cache")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let cache = LayerCache(directory: folder + "/layers")
    var built = 0
    let make: () throws -> LayerTree = {
      built += 1
      var tree = LayerTree()
      tree.addBytes("a/b.txt", Data("b".utf8))
      return tree
    }
    let first = try cache.layer(for: Digest.sha256("key"), tree: make)
    let second = try cache.layer(for: Digest.sha256("key"), tree: make)
    #expect(!first.reused && second.reused && built == 1)
    #expect(first.layer == second.layer)
    try Data("damaged".utf8).write(to: URL(fileURLWithPath: second.layer.path))
    let third = try cache.layer(for: Digest.sha256("key"), tree: make)
    #expect(!third.reused && third.layer.digest == first.layer.digest && built == 2)
  }
}
