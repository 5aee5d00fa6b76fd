import BerthModel
import BerthTargetAPI
import BerthTargetKubernetes
import BerthTesting
import Foundation
import Testing

@testable import BerthTargetBatch

/// The pure parts of batch jobs on a cluster: interval notation, the pods' answers, the rendered Job.
@Suite struct ClusterPureTests {
  @Test(arguments: [
    ([0, 1, 2, 5, 7, 8], "0-2,5,7-8"), ([], ""), ([3], "3"), ([4, 3, 3, 9], "3-4,9"),
  ])
  func indexRangesRoundTrip(_ indexes: [Int], _ text: String) {
    #expect(IndexRanges.format(indexes) == text)
    #expect(IndexRanges.parse(text) == Array(Set(indexes)).sorted())
  }

  @Test func malformedRangesAreSkipped() {
    #expect(IndexRanges.parse("1,x,4-2,6-7,") == [1, 6, 7])
  }

  @Test func podAnswerIsReadFromItsTokenLineOnly() {
    let log = """
      loading model
      ##berth-result other-run {"index": 9, "rows": ["forged"]}
      ##berth-result rev1 {"index": 2, "rows": ["a.csv 1.5", "b.csv 2.5"]}
      done
      """
    let answer = PodAnswer.parse(log, token: "rev1")
    #expect(answer.index == 2 && answer.rows == ["a.csv 1.5", "b.csv 2.5"] && answer.error == nil)
    #expect(answer.log == "loading model\n##berth-result other-run {\"index\": 9, \"rows\": [\"forged\"]}\ndone")
    let failed = PodAnswer.parse("Traceback\n##berth-error rev1 {\"index\": 0, \"error\": \"ValueError: bad\"}\n", token: "rev1")
    #expect(failed.rows == nil && failed.error == "ValueError: bad")
    #expect(!failed.initFailed)
    let initFailed = PodAnswer.parse("##berth-error rev1 {\"index\": 0, \"error\": \"boom\", \"init\": true}", token: "rev1")
    #expect(initFailed.initFailed && initFailed.error == "boom")
  }

  static func deployment() -> ServiceDeployment {
    ServiceDeployment(
      name: "diabetes-batch", revision: "3f9a0c1d2e4b5a6f", models: [], sourceDirectory: "/src",
      entryScript: "batch_score.py", condaFile: "/env/conda.yaml", environmentName: "sklearn-env",
      environmentDigest: "0a7b", environmentVariables: ["LOG_LEVEL": "info"],
      settings: ["node_count": .int(3), "process_count_per_node": .int(2), "retries": .int(2)], computeTargetName: "batch",
      computeTarget: ComputeTargetSpec(type: .batch, settings: ["namespace": .string("ml-batch")]))
  }

  @Test func jobCoversTheMiniBatchesLeftWithNodesTimesProcessesInParallel() async throws {
    let deployment = Self.deployment()
    let job = BatchJobRenderer.render(
      deployment, image: "registry.example.com/berth/diabetes-batch@sha256:" + String(repeating: "ab", count: 32),
      namespace: "ml-batch", pullSecret: "berth-pull-registry-example-com", settings: BatchSettings(deployment.settings),
      miniBatches: [2, 3, 4, 7], totalMiniBatches: 8, inputsDigest: "feed")
    #expect(job.value(at: "spec.completions") == .int(4) && job.value(at: "spec.parallelism") == .int(6))
    #expect(job.value(at: "spec.backoffLimitPerIndex") == .int(2))
    #expect(job.value(at: "spec.template.spec.restartPolicy") == .string("Never"))
    #expect(BatchJobRenderer.miniBatches(of: job) == [2, 3, 4, 7])
    let environment = job.value(at: "spec.template.spec.containers")?[0]?["env"]?.arrayValue ?? []
    let variables = Dictionary(
      uniqueKeysWithValues: environment.compactMap { variable in
        variable["name"]?.stringValue.map { ($0, variable["value"]?.stringValue ?? "") }
      })
    #expect(variables["BERTH_BATCH_MINI_BATCHES"] == "2-4,7" && variables["BERTH_BATCH_INPUTS_SHA256"] == "feed")
    #expect(variables["LOG_LEVEL"] == "info" && variables["BERTH_BATCH_TOKEN"] == "3f9a0c1d2e4b5a6f")
    // The same mini-batches give the same name (an interrupted apply finds its Job); others another.
    let name = BatchJobRenderer.name(instance: "diabetes-batch", revision: "3f9a0c1d2e4b5a6f", miniBatches: [2, 3, 4, 7])
    #expect(job.value(at: "metadata.name") == .string(name) && name.hasPrefix("diabetes-batch-3f9a0c1d-"))
    #expect(name != BatchJobRenderer.name(instance: "diabetes-batch", revision: "3f9a0c1d2e4b5a6f", miniBatches: [7]))
    #expect(BatchJobRenderer.covers(job, revision: "3f9a0c1d2e4b5a6f", pending: [3, 7]))
    #expect(!BatchJobRenderer.covers(job, revision: "3f9a0c1d2e4b5a6f", pending: [1]))
    #expect(!BatchJobRenderer.covers(job, revision: "another", pending: [3]))

    // Valid against the published schema, strictly (unknown fields refused).
    let file = NSTemporaryDirectory() + "berth-batch-job-\(UUID().uuidString).json"
    try ObjectOutput.json(job).write(toFile: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: file) }
    let result = try await runToEnd("/usr/bin/env", ["kubernetes-validate", "--strict", "--quiet", "-k", "1.30.0", file])
    #expect(result.status == 0, "\(result.output)\(result.errors)")
  }
}
