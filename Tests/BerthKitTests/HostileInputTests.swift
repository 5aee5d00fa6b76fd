import BerthManifest
import BerthModel
import BerthModelStore
import BerthTesting
import Foundation
import Testing

@testable import BerthKit

/// Hostile inputs that cannot be committed as fixture folders (FIFOs, multi-megabyte files) or that must stay valid.
@Suite struct HostileInputTests {
  /// A scratch copy of a small valid manifest folder (one local service).
  func validFolder(_ name: String) throws -> ScratchDirectory {
    let scratch = try ScratchDirectory(name)
    let base = TestPaths.fixtures.appendingPathComponent("invalid/port-out-of-range").path
    for item in ["conda.yaml", "model.pkl", "src"] {
      try FileManager.default.copyItem(atPath: base + "/" + item, toPath: scratch.path + "/" + item)
    }
    let manifests = try String(contentsOfFile: base + "/berth.yaml", encoding: .utf8)
    let head = manifests.components(separatedBy: "\n").prefix(30).joined(separator: "\n")
    try scratch.write(
      "berth.yaml",
      head
        + "\n---\napiVersion: berth/v1\nkind: Service\nmetadata:\n  name: a\nspec:\n  compute_target: local\n"
        + "  models: [ridge]\n  inference_config: scoring\n  deployment:\n    port: 8890\n")
    return scratch
  }

  func messages(_ validation: Validation) -> [String] { validation.diagnostics.map(\.description) }

  @Test func theValidFolderIsValid() throws {
    let scratch = try validFolder("valid")
    let validation = Validation.run(path: scratch.path, displayPath: "v")
    #expect(validation.isValid, "\(messages(validation))")
  }

  @Test func aModelPathThatIsAFIFOIsAnErrorNotAHang() throws {
    let scratch = try validFolder("fifo")
    try FileManager.default.removeItem(atPath: scratch.path + "/model.pkl")
    #expect(mkfifo(scratch.path + "/model.pkl", 0o644) == 0)
    let validation = Validation.run(path: scratch.path, displayPath: "v")
    #expect(
      messages(validation) == [
        "v/berth.yaml:6:9: error: 'path' must name a regular file or folder, but 'model.pkl' is a FIFO (named pipe)\n"
          + "  hint: Berth reads only regular files and folders"
      ])
  }

  @Test func aFIFOInsideAModelFolderIsAnError() throws {
    let scratch = try validFolder("fifo-folder")
    try FileManager.default.createDirectory(atPath: scratch.path + "/weights", withIntermediateDirectories: true)
    try "w".write(toFile: scratch.path + "/weights/a.bin", atomically: true, encoding: .utf8)
    #expect(mkfifo(scratch.path + "/weights/pipe", 0o644) == 0)
    try scratch.write(
      "berth.yaml",
      try String(contentsOfFile: scratch.path + "/berth.yaml", encoding: .utf8)
        .replacingOccurrences(of: "path: model.pkl", with: "path: weights/"))
    let validation = Validation.run(path: scratch.path, displayPath: "v")
    #expect(messages(validation).count == 1)
    #expect(
      messages(validation).first?.hasPrefix("v/berth.yaml:6:9: error: 'weights/pipe' in model folder 'weights' is a FIFO")
        == true)
  }

  @Test func aFIFONamedLikeAManifestIsSkipped() throws {
    let scratch = try validFolder("fifo-yaml")
    #expect(mkfifo(scratch.path + "/pipe.yaml", 0o644) == 0)
    let validation = Validation.run(path: scratch.path, displayPath: "v")
    #expect(validation.isValid, "\(messages(validation))")
  }

  @Test func aLargeYAMLDataFileBesideTheManifestsIsNotParsed() throws {
    let scratch = try validFolder("big-data")
    let row = "- {id: 12345, values: [0.1, 0.2, 0.3, 0.4], label: data}\n"
    let count = ManifestLimits.fileBytes / row.utf8.count + 1000
    try scratch.write("data/rows.yaml", String(repeating: row, count: count))
    let validation = Validation.run(path: scratch.path, displayPath: "v")
    #expect(validation.isValid, "\(messages(validation))")
  }

  @Test func aManifestFileOverTheSizeLimitIsAnError() throws {
    let scratch = try validFolder("big-manifest")
    let padding = String(repeating: "# padding line for the size limit\n", count: ManifestLimits.fileBytes / 34 + 10)
    try scratch.write("more.yaml", "apiVersion: berth/v1\nkind: Model\n" + padding)
    let validation = Validation.run(path: scratch.path, displayPath: "v")
    let size = try FileManager.default.attributesOfItem(atPath: scratch.path + "/more.yaml")[.size] as! Int
    #expect(
      messages(validation) == [
        "v/more.yaml:1:1: error: 'v/more.yaml' is \(size) bytes, more than the \(ManifestLimits.fileBytes) bytes a manifest file may have\n"
          + "  hint: split the manifests into several files"
      ])
  }

  @Test func anAliasBombBesideValidManifestsIsNotExpanded() throws {
    let scratch = try validFolder("bomb")
    let bomb = TestPaths.fixtures.appendingPathComponent("invalid/alias-bomb-beside/data").path
    try FileManager.default.copyItem(atPath: bomb, toPath: scratch.path + "/data")
    let validation = Validation.run(path: scratch.path, displayPath: "v")
    #expect(validation.isValid, "\(messages(validation))")
  }

  @Test func deepNestingIsRefusedBeforeTheParserRecurses() throws {
    let scratch = try validFolder("deep")
    let depth = 100_000
    try scratch.write(
      "deep.yaml", "kind: Model\nspec: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n")
    let validation = Validation.run(path: scratch.path, displayPath: "v")
    #expect(
      messages(validation) == [
        "v/deep.yaml:2:\(ManifestLimits.depth + 6): error: YAML nested deeper than \(ManifestLimits.depth) levels\n"
          + "  hint: manifests are a few levels deep; this is not a manifest Berth can read"
      ])
  }

  @Test func anEmptyModelFileOrFolderIsAWarning() throws {
    let scratch = try validFolder("empty-model")
    try Data().write(to: URL(fileURLWithPath: scratch.path + "/model.pkl"))
    var validation = Validation.run(path: scratch.path, displayPath: "v")
    #expect(validation.isValid)
    #expect(
      messages(validation) == [
        "v/berth.yaml:6:9: warning: model file 'model.pkl' is empty (0 bytes)\n  hint: a model with no bytes cannot be loaded by init()"
      ])
    try FileManager.default.createDirectory(atPath: scratch.path + "/weights", withIntermediateDirectories: true)
    try scratch.write(
      "berth.yaml",
      try String(contentsOfFile: scratch.path + "/berth.yaml", encoding: .utf8)
        .replacingOccurrences(of: "path: model.pkl", with: "path: weights"))
    validation = Validation.run(path: scratch.path, displayPath: "v")
    #expect(validation.isValid)
    #expect(
      messages(validation) == [
        "v/berth.yaml:6:9: warning: model folder 'weights' has no files\n  hint: a model with no bytes cannot be loaded by init()"
      ])
  }

  @Test func aFolderModelWrittenWithATrailingSlashRegisters() throws {
    let scratch = try validFolder("trailing-slash")
    try FileManager.default.createDirectory(atPath: scratch.path + "/model", withIntermediateDirectories: true)
    try "weights".write(toFile: scratch.path + "/model/w.bin", atomically: true, encoding: .utf8)
    try scratch.write(
      "berth.yaml",
      try String(contentsOfFile: scratch.path + "/berth.yaml", encoding: .utf8)
        .replacingOccurrences(of: "path: model.pkl", with: "path: model/"))
    let validation = Validation.run(path: scratch.path, displayPath: "v")
    #expect(validation.isValid, "\(messages(validation))")
    guard case .model(let spec)? = validation.graph[ResourceAddress(.model, "ridge")]?.spec else {
      Issue.record("no model")
      return
    }
    #expect(spec.path == "model")
    let store = ModelStore(root: scratch.path + "/.berth/models", hasher: ContentHasher(cache: HashCache(file: nil)))
    let record = try store.register(
      name: "ridge", version: 1, source: scratch.path + "/" + spec.path, description: nil, tags: [:], at: Date())
    #expect(record.basename == "model")
    #expect(record.fileCount == 1)
  }

  @Test func aModelThatCannotBeReadAtPlanTimeIsNamedAtItsLine() throws {
    let scratch = try validFolder("vanish")
    let validation = Validation.run(path: scratch.path, displayPath: "v")
    #expect(validation.isValid)
    try FileManager.default.removeItem(atPath: scratch.path + "/model.pkl")
    do {
      _ = try ContentDigests.measure(validation.graph, hasher: ContentHasher(cache: HashCache(file: nil)))
      Issue.record("measured a model that is gone")
    } catch let error as ContentReadError {
      #expect(
        error.description
          == "v/berth.yaml:6:9: cannot read 'model.pkl' of model/ridge: it does not exist\n"
          + "  hint: it was readable when the manifests were checked; fix its permissions or restore it, then plan again")
    }
  }
}
