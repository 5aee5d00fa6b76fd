import BerthModel
import Foundation
import Testing

@testable import BerthManifest

/// The manifest cache: what it stores, when it misses, and that a load through it equals a load without it.
@Suite struct ManifestCacheTests {
  /// A folder with two manifest files, a conda file and a cache file path inside it.
  struct Folder {
    let root: String
    var cacheFile: String { ManifestCache.file(root: root) }

    init() throws {
      root = NSTemporaryDirectory() + "berth-cache-\(UUID().uuidString.prefix(8))"
      try FileManager.default.createDirectory(atPath: root + "/models", withIntermediateDirectories: true)
      try "weights\n".write(toFile: root + "/models/a.bin", atomically: false, encoding: .utf8)
      try "name: env\ndependencies:\n  - python=3.11\n".write(toFile: root + "/conda.yaml", atomically: false, encoding: .utf8)
      try write(
        "models.yaml",
        """
        apiVersion: berth/v1
        kind: Model
        metadata:
          name: a
          labels: {team: "x y", count: "3"}
        spec:
          path: models/a.bin
          tags: {stage: prod, ratio: "0.5"}
        ---
        # another tool's document is not Berth's
        apiVersion: v1
        kind: ConfigMap
        """)
      try write(
        "env.yaml",
        "apiVersion: berth/v1\nkind: Environment\nmetadata: {name: env}\nspec:\n  conda_file: conda.yaml\n")
    }

    func write(_ name: String, _ text: String) throws {
      try text.write(toFile: root + "/" + name, atomically: false, encoding: .utf8)
    }

    func load(display: String = "m", use: ManifestCache.Use = .create, settle: Double = 0) -> (
      ManifestSet, ManifestCache.Statistics
    ) {
      let cache = ManifestCache(file: cacheFile, use: use, settleSeconds: settle)
      let set = ManifestLoader().load(path: root, displayPath: display, cache: cache)
      cache.save()
      return (set, cache.statistics)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
  }

  @Test func aSecondLoadComesFromTheCacheAndEqualsAFreshOne() throws {
    let folder = try Folder()
    defer { folder.remove() }
    let (first, written) = folder.load()
    #expect(first.diagnostics.isEmpty)
    #expect(written == ManifestCache.Statistics(hits: 0, stored: 3))  // two manifests and the conda file
    let (second, read) = folder.load()
    #expect(read == ManifestCache.Statistics(hits: 3, stored: 0))
    let fresh = ManifestLoader().load(path: folder.root, displayPath: "m")
    #expect(second.resources == fresh.resources)
    #expect(second.files == fresh.files)
    #expect(second.contentDigest == fresh.contentDigest)
    #expect(second.diagnostics.isEmpty)
  }

  @Test func locationsNameTheFileAsThisRunShowsIt() throws {
    let folder = try Folder()
    defer { folder.remove() }
    _ = folder.load(display: "first")
    let (set, statistics) = folder.load(display: "second/")
    #expect(statistics.hits == 3)
    let model = try #require(set.resources.first { $0.address.kind == .model })
    #expect(model.location(of: "path") == SourceLocation(file: "second/models.yaml", line: 7, column: 9))
  }

  @Test func anEditMissesEvenWithTheSameSizeAndModificationTime() throws {
    let folder = try Folder()
    defer { folder.remove() }
    _ = folder.load()
    let path = folder.root + "/env.yaml"
    var before = stat()
    stat(path, &before)
    // Same length, another conda file name; then the modification time is put back as it was.
    try folder.write(
      "env.yaml", "apiVersion: berth/v1\nkind: Environment\nmetadata: {name: env}\nspec:\n  conda_file: condb.yaml\n")
    var times = [before.st_atim, before.st_mtim]
    #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
    let (set, statistics) = folder.load()
    #expect(statistics.hits == 2)
    #expect(set.diagnostics.contains { $0.message.contains("condb.yaml") })
  }

  @Test func filesChangedJustBeforeTheyWereReadAreNotStored() throws {
    let folder = try Folder()
    defer { folder.remove() }
    let (_, statistics) = folder.load(settle: 60)
    #expect(statistics == ManifestCache.Statistics(hits: 0, stored: 0))
    #expect(!FileManager.default.fileExists(atPath: folder.cacheFile))
  }

  @Test func aFileWithProblemsIsParsedAgainAndReportedAgain() throws {
    let folder = try Folder()
    defer { folder.remove() }
    try folder.write("broken.yaml", "apiVersion: berth/v1\nkind: Model\nmetadata: [1, 2\n")
    let (first, written) = folder.load()
    #expect(written.stored == 3)
    let (second, read) = folder.load()
    #expect(read.hits == 3)
    #expect(first.diagnostics.hasErrors)
    #expect(second.diagnostics == first.diagnostics)
  }

  @Test func aDamagedCacheIsIgnoredAndRewritten() throws {
    let folder = try Folder()
    defer { folder.remove() }
    _ = folder.load()
    let whole = try #require(FileManager.default.contents(atPath: folder.cacheFile))
    for damaged in [whole.prefix(whole.count / 2), Data("BERTHMC1".utf8) + Data(repeating: 0xFF, count: 64), Data()] {
      try damaged.write(to: URL(fileURLWithPath: folder.cacheFile))
      let (set, statistics) = folder.load()
      #expect(statistics == ManifestCache.Statistics(hits: 0, stored: 3))
      #expect(set.resources.count == 2)
    }
    #expect(FileManager.default.contents(atPath: folder.cacheFile) == whole)
  }

  @Test func onlyCreateMakesTheCacheFolder() throws {
    let folder = try Folder()
    defer { folder.remove() }
    _ = folder.load(use: .ifPresent)
    #expect(!FileManager.default.fileExists(atPath: folder.root + "/.berth"))
    _ = folder.load(use: .off)
    #expect(!FileManager.default.fileExists(atPath: folder.root + "/.berth"))
    _ = folder.load(use: .create)
    #expect(FileManager.default.fileExists(atPath: folder.cacheFile))
    var info = stat()
    #expect(stat(folder.cacheFile, &info) == 0 && info.st_mode & 0o777 == 0o600)
    let (_, statistics) = folder.load(use: .ifPresent)
    #expect(statistics.hits == 3)
  }

  @Test func aDeletedFileLeavesTheCache() throws {
    let folder = try Folder()
    defer { folder.remove() }
    _ = folder.load()
    try FileManager.default.removeItem(atPath: folder.root + "/env.yaml")
    let (set, _) = folder.load()
    #expect(set.resources.count == 1)
    #expect(set.files == ["m/models.yaml"])
    let before = try #require(FileManager.default.contents(atPath: folder.cacheFile))
    _ = folder.load()
    #expect(FileManager.default.contents(atPath: folder.cacheFile) == before)
    #expect(!String(decoding: before, as: UTF8.self).contains("env.yaml"))
  }

  @Test func nodesSurviveTheCodecExactly() {
    let text = """
      apiVersion: berth/v1
      kind: Service
      metadata: {name: "s", labels: {a: 'quoted', b: plain}}
      spec:
        ints: [0, -7, 9223372036854775807, 1_000]
        floats: [1.5, -0.0, .inf, .nan, 1e-3]
        flags: [true, False, ~, null, ""]
        text: |
          line one
          ünïcödé ✓
        nested: {a: {b: {c: [[1], [2, {d: e}]]}}}
      """
    let (documents, diagnostics) = ManifestParser.documents(in: text, file: "f.yaml")
    #expect(diagnostics.isEmpty)
    var writer = ByteWriter()
    for document in documents { NodeCodec.encode(document, into: &writer) }
    var reader = ByteReader(writer.bytes)
    for document in documents {
      let decoded = NodeCodec.decode(from: &reader, file: "f.yaml")
      #expect(decoded.map(Self.render) == Self.render(document))
    }
    #expect(reader.isAtEnd)
    // Every truncation is refused, never read past its end.
    for length in 0..<writer.bytes.count {
      var short = ByteReader(Array(writer.bytes.prefix(length)))
      #expect(NodeCodec.decode(from: &short, file: "f.yaml") == nil)
    }
  }

  /// Every part of a node, locations and flags included, as text.
  static func render(_ node: ManifestNode) -> String {
    let head = "\(node.location)\(node.isRefused ? "!" : "")"
    switch node.content {
    case .scalar(let scalar, let raw):
      let value: String =
        switch scalar {
        case .double(let number): "double(\(number.bitPattern))"
        default: "\(scalar)"
        }
      return "\(head) \(value) raw=\(raw.debugDescription)"
    case .mapping(let entries):
      return "\(head) {" + entries.map { "\($0.key)@\($0.keyLocation): \(render($0.value))" }.joined(separator: ", ") + "}"
    case .sequence(let items):
      return "\(head) [" + items.map(render).joined(separator: ", ") + "]"
    }
  }
}
