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
      var whole: [Double] = []
      var scoring: [Double] = []
      for repetition in 0..<repetitions {
        let revision = "p\(processes)-r\(repetition)"
        let deployment = ServiceDeployment(
          name: "bench", revision: revision,
          models: [
            DeployedModel(
              name: "diabetes-ridge", version: 1, sha256: "bench", storePath: root + "/store", basename: "diabetes-ridge.pkl")
          ], sourceDirectory: root + "/src", entryScript: "batch_score.py", condaFile: root + "/env/conda.yaml",
          environmentName: "sklearn-env", environmentDigest: "bench",
          settings: [
            "input_path": .string("data"), "output_path": .string("out-\(processes)-\(repetition)"),
            "mini_batch_size": .int(miniBatchSize), "process_count_per_node": .int(processes),
          ], computeTargetName: "batch", computeTarget: ComputeTargetSpec(type: .batch), manifestDirectory: root)
        let cpuBefore = (Self.cpu(RUSAGE_SELF), Self.cpu(RUSAGE_CHILDREN))
        let start = DispatchTime.now().uptimeNanoseconds
        let response = try await provider.apply(ApplyRequest(operation: .deploy(deployment)))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard case .int(files)? = response.outputs["succeeded"],
          let record = RunRecord.read(provider.layout.run("bench", revision: revision).recordFile),
          let scoringSeconds = record.scoringSeconds
        else {
          throw BatchRunError("run \(revision) did not score every file: \(response.outputs)")
        }
        print(
          String(
            format: "          run %@: %.2f s, scoring %.2f s; CPU: berth %.2f s, workers %.2f s", revision as NSString, seconds,
            scoringSeconds, Self.cpu(RUSAGE_SELF) - cpuBefore.0, Self.cpu(RUSAGE_CHILDREN) - cpuBefore.1))
        whole.append(Double(files) / seconds)
        scoring.append(Double(files) / scoringSeconds)
      }
      let rate = scoring.sorted()[scoring.count / 2]
      rates[processes] = rate
      print(
        String(
          format: "batch     processes=%d  %8.1f files/s scoring  %8.1f files/s whole apply (with init())", processes, rate,
          whole.sorted()[whole.count / 2]))
    }
    if let one = rates[1], let two = rates[2] {
      print(String(format: "batch     scoring rate, 2 processes / 1 process = %.2f× (goal ≥ 1.80×)", two / one))
    }
  }

  /// User plus system CPU seconds of this process (`RUSAGE_SELF`) or of its reaped children (`RUSAGE_CHILDREN`).
  static func cpu(_ who: __rusage_who) -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(who.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
      + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
  }
}
