import BerthModel
import BerthTargetAPI
import Foundation

@testable import BerthTargetLocal

/// A scratch service for the local target: an entry script, "model" versions in a store, a conda file.
///
/// The model is JSON (`coefficient`, `version`); `run()` multiplies the
/// input by the coefficient. The conda file asks for nothing but the scoring
/// server, so it hashes like `SharedEnvironment.spec` and reuses that cache.
struct LocalServiceFixture {
  let root: String
  var source: String { root + "/src" }
  var condaFile: String { root + "/conda.yml" }
  var runtime: String { root + "/runtime" }

  static let entryScript = """
    import json, os
    model = None
    def init():
        global model
        with open(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.json")) as handle:
            model = json.load(handle)
        print("coefficient model loaded: version", model["version"])
    def run(raw_data):
        data = json.loads(raw_data)["data"]
        return {"prediction": [x * model["coefficient"] for x in data], "version": model["version"],
                "model_dir": os.environ["AZUREML_MODEL_DIR"], "label": os.environ.get("COEF_LABEL"),
                "preload": os.environ.get("WORKER_PRELOAD")}
    """

  static let failingScript = """
    def init():
        raise RuntimeError("coefficient file is corrupt: boom-7")
    def run(raw_data):
        return raw_data
    """

  init() throws {
    root = try Scratch.directory("berth-local")
    try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
    try Scratch.write(Self.entryScript, to: source + "/score.py")
    try Scratch.write(Self.failingScript, to: source + "/failing.py")
    try Scratch.write(
      """
      name: coefficient
      channels: [conda-forge]
      dependencies:
        - pip
        - pip:
          - azureml-inference-server-http
      """, to: condaFile)
  }

  /// Stores model `version` as the store would: `<store>/<digest>/model.json`, read-only.
  func model(version: Int, coefficient: Int) throws -> DeployedModel {
    let folder = root + "/store/v\(version)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try Scratch.write(#"{"coefficient": \#(coefficient), "version": \#(version)}"#, to: folder + "/model.json")
    try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: folder + "/model.json")
    try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder)
    return DeployedModel(name: "coef", version: version, sha256: "v\(version)", storePath: folder, basename: "model.json")
  }

  /// A deployment of service `name` (`coef` unless said) with `models`.
  func deployment(
    revision: String, models: [DeployedModel], entryScript: String = "score.py", settings: [String: FieldValue] = [:],
    name: String = "coef"
  ) -> ServiceDeployment {
    ServiceDeployment(
      name: name, revision: revision, models: models, sourceDirectory: source, entryScript: entryScript,
      condaFile: condaFile, environmentName: "coefficient", environmentDigest: "",
      environmentVariables: ["COEF_LABEL": "fixture"],
      settings: ["wait_timeout": .int(90)].merging(settings) { _, new in new }, computeTargetName: "laptop",
      computeTarget: ComputeTargetSpec(type: .local))
  }

  /// Makes the store folders writable again and removes everything.
  func remove() {
    let store = root + "/store"
    for name in (try? FileManager.default.contentsOfDirectory(atPath: store)) ?? [] {
      try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: store + "/" + name)
    }
    try? FileManager.default.removeItem(atPath: root)
  }
}

/// Sends `POST /score` from several threads until stopped; counts failures and which model versions answered.
final class ScoringLoad: @unchecked Sendable {
  private let lock = NSLock()
  private var running = true
  private(set) var succeeded = 0
  private(set) var failures: [String] = []
  private(set) var versions: [Int] = []
  private let finished = DispatchGroup()

  init(port: Int, threads: Int, pause: TimeInterval = 0.01) {
    for _ in 0..<threads {
      finished.enter()
      Thread { [self] in
        let client = LoopbackHTTPClient(timeout: .seconds(30))
        while lock.withLock({ running }) {
          do {
            let response = try client.postJSON(port: port, body: #"{"data": [1, 2]}"#)
            let version = (try? JSONSerialization.jsonObject(with: response.body) as? [String: Any])?["version"] as? Int
            lock.withLock {
              if response.status == 200, let version {
                succeeded += 1
                versions.append(version)
              } else {
                failures.append("HTTP \(response.status): \(response.text.prefix(200))")
              }
            }
          } catch {
            lock.withLock { failures.append("\(error)") }
          }
          Thread.sleep(forTimeInterval: pause)
        }
        finished.leave()
      }.start()
    }
  }

  /// Stops the threads and waits for their last requests.
  func stop() {
    lock.withLock { running = false }
    finished.wait()
  }
}

/// Collects progress lines from an apply.
final class ProgressLines: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [String] = []

  var lines: [String] { lock.withLock { stored } }
  var sink: @Sendable (String) -> Void { { [self] line in lock.withLock { stored.append(line) } } }
}
