import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation

@testable import BerthTargetBatch

/// A copy of `manifests/examples/batch-diabetes` in a scratch folder: the real model, entry script, conda file and
/// CSV inputs, plus the model "registered" in a store folder as the model store lays it out.
struct DiabetesBatchFixture {
  let scratch: ScratchDirectory
  var root: String { scratch.path }
  var runtime: String { root + "/runtime" }
  var data: String { root + "/data" }

  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let example = repository.appendingPathComponent("manifests/examples/batch-diabetes").path
  /// Environments shared with the other process tests (`berth-test-envcache`).
  static let environmentCache = NSTemporaryDirectory() + "berth-test-envcache"

  init() throws {
    scratch = try ScratchDirectory("batch")
    for item in ["src", "env", "model", "data"] {
      try FileManager.default.copyItem(atPath: Self.example + "/" + item, toPath: root + "/" + item)
    }
    try FileManager.default.createDirectory(atPath: root + "/store/v1", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: root + "/model/diabetes-ridge.pkl", toPath: root + "/store/v1/diabetes-ridge.pkl")
  }

  /// `count` more input files, each a few patients of the example's data (rotated, so files differ).
  func addInputs(_ count: Int, prefix: String = "more") throws {
    let base = try String(contentsOfFile: data + "/patients-00.csv", encoding: .utf8).split(separator: "\n")
    for index in 0..<count {
      let rows = (0..<3).map { base[(index + $0) % base.count] }
      try (rows.joined(separator: "\n") + "\n").write(
        toFile: data + "/\(prefix)-\(String(format: "%04d", index)).csv", atomically: true, encoding: .utf8)
    }
  }

  /// An entry script in `src/` wrapping the example's: `runLines` (Python) run first in `run()`, then a `delay` sleep.
  func wrapper(_ name: String, delay: Double = 0, initLines: [String] = [], runLines: [String] = []) throws {
    let initBody = (initLines + ["batch_score.init()"]).map { "    " + $0 }.joined(separator: "\n")
    let runBody = (runLines + ["time.sleep(\(delay))", "return batch_score.run(mini_batch)"]).map { "    " + $0 }
      .joined(separator: "\n")
    let text =
      "import os\nimport time\n\nimport batch_score\n\n\ndef init():\n\(initBody)\n\n\ndef run(mini_batch):\n\(runBody)\n"
    try text.write(toFile: root + "/src/" + name, atomically: true, encoding: .utf8)
  }

  func model(version: Int = 1) -> DeployedModel {
    DeployedModel(
      name: "diabetes-ridge", version: version, sha256: "v\(version)", storePath: root + "/store/v1",
      basename: "diabetes-ridge.pkl")
  }

  /// A deployment of `name` scoring `data/` into `output`.
  func deployment(
    name: String = "diabetes-batch", revision: String = "rev0000001", version: Int = 1, entryScript: String = "batch_score.py",
    settings: [String: FieldValue] = [:], output: String = "results"
  ) -> ServiceDeployment {
    var all: [String: FieldValue] = [
      "input_path": .string("data"), "output_path": .string(output), "mini_batch_size": .int(4),
      "process_count_per_node": .int(2),
    ]
    all.merge(settings) { $1 }
    return ServiceDeployment(
      name: name, revision: revision, models: [model(version: version)], sourceDirectory: root + "/src",
      entryScript: entryScript, condaFile: root + "/env/conda.yaml", environmentName: "sklearn-env",
      environmentDigest: "sklearn", settings: all, computeTargetName: "batch", computeTarget: ComputeTargetSpec(type: .batch),
      manifestDirectory: root)
  }

  func provider() -> BatchTargetProvider {
    BatchTargetProvider(runtimeDirectory: runtime, environmentCache: Self.environmentCache)
  }

  func read(_ relative: String) throws -> String { try String(contentsOfFile: root + "/" + relative, encoding: .utf8) }

  /// The rows the entry script gives when each file is scored alone: `init()` once, then `run([file])` per file.
  func scoredOneByOne(python: String) throws -> String {
    let driver = """
      import os, sys
      sys.path.insert(0, sys.argv[1])
      import batch_score
      batch_score.init()
      data = sys.argv[2]
      names = sorted(name for name in os.listdir(data) if not name.startswith("."))
      for name in sorted(names, key=lambda n: n.encode()):
          for row in batch_score.run([os.path.join(data, name)]):
              sys.stdout.write(row + "\\n")
      """
    try driver.write(toFile: root + "/one_by_one.py", atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [root + "/one_by_one.py", root + "/src", data]
    var environment = ProcessInfo.processInfo.environment
    environment["AZUREML_MODEL_DIR"] = root + "/store/v1"
    process.environment = environment
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: output, as: UTF8.self)
  }
}

/// Collects progress lines from an apply.
final class ProgressLines: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [String] = []

  var lines: [String] { lock.withLock { stored } }
  var sink: @Sendable (String) -> Void { { [self] line in lock.withLock { stored.append(line) } } }
}
