import BerthModel
import BerthTargetAPI
import BerthTargetBatch
import Foundation

/// Scores many small CSV files with the batch-diabetes example's real model and environment, once per worker count,
/// and prints the rate of each: the figure `process_count_per_node` should scale.
struct BatchBench {
  let example: String
  let files: Int
  let miniBatchSize: Int
  let processCounts: [Int]
  let repetitions: Int

  func run() async throws {
    let root = NSTemporaryDirectory() + "berth-bench-batch-\(UUID().uuidString.prefix(8))"
    defer { try? FileManager.default.removeItem(atPath: root) }
    for item in ["src", "env", "model"] {
      try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
      try FileManager.default.copyItem(atPath: example + "/" + item, toPath: root + "/" + item)
    }
    try FileManager.default.createDirectory(atPath: root + "/store", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: root + "/model/diabetes-ridge.pkl", toPath: root + "/store/diabetes-ridge.pkl")
    let rows = try String(contentsOfFile: example + "/data/patients-00.csv", encoding: .utf8).split(separator: "\n")
    try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
    for index in 0..<files {
      try (rows[index % rows.count] + "\n").write(
        toFile: root + "/data/f\(String(format: "%05d", index)).csv", atomically: false, encoding: .utf8)
    }
    let provider = BatchTargetProvider(
      runtimeDirectory: root + "/runtime", environmentCache: NSTemporaryDirectory() + "berth-test-envcache")
    print(
      "berth-bench batch: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(files) files, mini_batch_size \(miniBatchSize), median of \(repetitions)"
    )
    var rates: [Int: Double] = [:]
    for processes in processCounts {
      var samples: [Double] = []
      for repetition in 0..<repetitions {
        let deployment = ServiceDeployment(
          name: "bench", revision: "p\(processes)-r\(repetition)",
          models: [
            DeployedModel(
              name: "diabetes-ridge", version: 1, sha256: "bench", storePath: root + "/store", basename: "diabetes-ridge.pkl")
          ], sourceDirectory: root + "/src", entryScript: "batch_score.py", condaFile: root + "/env/conda.yaml",
          environmentName: "sklearn-env", environmentDigest: "bench",
          settings: [
            "input_path": .string("data"), "output_path": .string("out-\(processes)-\(repetition)"),
            "mini_batch_size": .int(miniBatchSize), "process_count_per_node": .int(processes),
          ], computeTargetName: "batch", computeTarget: ComputeTargetSpec(type: .batch), manifestDirectory: root)
        let start = DispatchTime.now().uptimeNanoseconds
        let response = try await provider.apply(ApplyRequest(operation: .deploy(deployment)))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard case .int(files)? = response.outputs["succeeded"] else {
          throw BatchRunError("run p\(processes)-r\(repetition) did not score every file: \(response.outputs)")
        }
        samples.append(Double(files) / seconds)
      }
      let rate = samples.sorted()[samples.count / 2]
      rates[processes] = rate
      print(
        String(
          format: "batch     processes=%d  %8.1f files/s  (%@)", processes, rate,
          samples.map { String(format: "%.1f", $0) }.joined(separator: ", ") as NSString))
    }
    if let one = rates[1], let two = rates[2] {
      print(String(format: "batch     2 processes / 1 process = %.2f× (goal ≥ 1.80×)", two / one))
    }
  }
}
