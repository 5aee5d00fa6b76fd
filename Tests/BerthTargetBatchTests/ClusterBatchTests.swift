import BerthModel
import BerthTargetAPI
import BerthTargetLocal
import BerthTesting
import Foundation
import Testing

@testable import BerthTargetBatch

/// A batch target that names a cluster: the job runs as an Indexed Job on the API server double (strict schema
/// validation of every object; the double plays the Job controller), its pods run by `KubeletDouble` with the real pod
/// worker program, the example's real model and environment. Berth collects the answers from the pods' logs.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct ClusterBatchTests {
  struct Setup {
    let fixture: DiabetesBatchFixture
    let double: KubeAPIDouble
    let provider: BatchTargetProvider
    let kubelet: KubeletDouble
    let python: String

    var target: ComputeTargetSpec { ComputeTargetSpec(type: .batch, settings: double.settings(namespace: "ml-batch")) }

    /// The kubelet runs a pod's command as a local process: the image's `/opt/berth/batch` is `image/` in the fixture
    /// (laid out from the job's image layer), `python3` the environment's Python, the image config's entry script and
    /// model folder local paths; then the pod's own environment. No image pull, no isolation: `BatchClusterImageTests`
    /// runs the real image.
    static func make(inputs: Int = 9) async throws -> Setup {
      let fixture = try DiabetesBatchFixture()
      try fixture.addInputs(inputs)
      let double = try await KubeAPIDouble()
      let provider = BatchTargetProvider(
        runtimeDirectory: fixture.runtime, environmentCache: DiabetesBatchFixture.environmentCache,
        baseEnvironment: KubeAPIDouble.environment, clusterPollInterval: .milliseconds(50))
      let python = try await provider.environments.prepare(condaFile: fixture.root + "/env/conda.yaml").environment
        .pythonPath
      let imageRoot = fixture.root + "/image"
      let models = imageRoot + "/var/azureml-app/azureml-models"
      try ModelLayout.link([fixture.model()], into: models)
      let imageEnvironment = [
        "AZUREML_ENTRY_SCRIPT": fixture.root + "/src/batch_score.py",
        "AZUREML_MODEL_DIR": ModelLayout.modelDirectory(for: [fixture.model()], modelsRoot: models) ?? "",
        "BERTH_BATCH_DIR": imageRoot + PodWorkerProgram.root,
      ]
      let kubelet = KubeletDouble(double: double) { pod in
        let environment = ProcessInfo.processInfo.environment.merging(imageEnvironment) { $1 }
          .merging(pod.environment) { $1 }
        let command = pod.command.map { argument in
          argument == "python3" ? python : argument.hasPrefix(PodWorkerProgram.root) ? imageRoot + argument : argument
        }
        let result = try await runToEnd(command[0], Array(command.dropFirst()), environment: environment)
        return (result.status, result.output + result.errors)
      }
      let setup = Setup(fixture: fixture, double: double, provider: provider, kubelet: kubelet, python: python)
      _ = try await provider.apply(ApplyRequest(operation: .provision(name: "batch", setup.target)))
      return setup
    }

    /// The deployment on the cluster, with the image Berth would have built, its batch layer laid out for the kubelet.
    func deployment(revision: String = "rev0000001", settings: [String: FieldValue] = [:], output: String = "results")
      throws -> ServiceDeployment
    {
      var deployment = fixture.deployment(revision: revision, settings: settings, output: output)
      deployment.computeTarget = target
      deployment.image = ContainerImage(
        reference: "registry.example.com/berth/diabetes-batch@sha256:" + String(repeating: "cd", count: 32),
        digest: "sha256:" + String(repeating: "cd", count: 32), registry: "registry.example.com")
      try Self.layOut(try provider.imageLayers(for: deployment), at: fixture.root + "/image")
      return deployment
    }

    /// Writes `layers`' files under `root`, as the image's filesystem holds them.
    static func layOut(_ layers: [ImageLayerContent], at root: String) throws {
      for file in layers.flatMap(\.files) {
        let path = root + file.imagePath
        try FileManager.default.createDirectory(
          atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        switch file.source {
        case .bytes(let bytes): try Data(bytes).write(to: URL(fileURLWithPath: path))
        case .path(let source):
          try? FileManager.default.removeItem(atPath: path)
          try FileManager.default.copyItem(atPath: source, toPath: path)
        }
      }
    }

    func apply(_ deployment: ServiceDeployment, progress: ProgressLines = ProgressLines()) async throws -> Attributes {
      try await provider.apply(ApplyRequest(operation: .deploy(deployment), progress: progress.sink)).outputs
    }
  }

  @Test func indexedJobScoresLikeThisMachineAndTheSecondApplyRunsNothing() async throws {
    let setup = try await Setup.make()
    defer { Task { await setup.double.stop() } }
    let kubelet = Task { await setup.kubelet.run() }
    defer { kubelet.cancel() }
    let deployment = try setup.deployment()
    let progress = ProgressLines()
    let outputs = try await setup.apply(deployment, progress: progress)

    let output = try setup.fixture.read("results/parallel_run_step.txt")
    #expect(output == (try setup.fixture.scoredOneByOne(python: setup.python)))
    #expect(output.split(separator: "\n").count == 21)
    #expect(outputs["succeeded"] == .int(21) && outputs["failed"] == .int(0))
    #expect(outputs["target.api_server"] == .string(setup.double.url) && outputs["namespace"] == .string("ml-batch"))
    // 21 files in mini-batches of 4: six completions, one pod each, two at a time.
    let jobs = try await setup.double.objects(kind: "Job")
    #expect(jobs.count == 1)
    let spec = try #require(jobs.first?["spec"] as? [String: Any])
    #expect(spec["completionMode"] as? String == "Indexed" && spec["completions"] as? Int == 6)
    #expect(spec["parallelism"] as? Int == 2 && spec["backoffLimitPerIndex"] as? Int == 3)
    #expect(setup.kubelet.podsRun == 6)
    #expect(progress.lines.contains { $0.contains("6/6 mini-batches, 21 succeeded, 0 failed") }, "\(progress.lines)")
    // The pods' logs are the run's worker logs, without the answer lines.
    let logs = JobCatalog(runtimeDirectory: setup.fixture.runtime).logs(of: "diabetes-batch", revision: "rev0000001", tail: 50)
    #expect(logs.contains { $0.hasPrefix("[worker-0] --- pod ") }, "\(logs)")
    #expect(!logs.contains { $0.contains("##berth-result") })

    // Applied again: the revision completed, nothing is scheduled.
    let again = ProgressLines()
    _ = try await setup.apply(deployment, progress: again)
    #expect(setup.kubelet.podsRun == 6)
    #expect(try await setup.double.objects(kind: "Job").count == 1)

    // Destroy: the Job and its pods go; the output stays.
    var recorded = outputs
    recorded["target.namespace"] = .string("ml-batch")
    _ = try await setup.provider.apply(ApplyRequest(operation: .delete(name: "diabetes-batch", previous: recorded)))
    #expect(try await setup.double.objects(kind: "Job").isEmpty)
    #expect(try await setup.double.objects(kind: "Pod").isEmpty)
    #expect(FileManager.default.fileExists(atPath: setup.fixture.root + "/results/parallel_run_step.txt"))
  }

  @Test func aMiniBatchThatAlwaysFailsIsRetriedThenCountedOrStopsTheRun() async throws {
    let setup = try await Setup.make(inputs: 0)
    defer { Task { await setup.double.stop() } }
    let kubelet = Task { await setup.kubelet.run() }
    defer { kubelet.cancel() }
    try "1,2,3\n".write(toFile: setup.fixture.data + "/patients-05.csv", atomically: true, encoding: .utf8)
    let tolerant = try setup.deployment(
      revision: "rev-tolerant", settings: ["mini_batch_size": .int(1), "retries": .int(1)], output: "tolerant")
    let outputs = try await setup.apply(tolerant)
    #expect(outputs["failed"] == .int(1) && outputs["succeeded"] == .int(11))
    // Twelve completions, and the bad one tried twice (retries 1) before the Job gave up on its index.
    #expect(setup.kubelet.podsRun == 13)
    let summary = try setup.fixture.read("tolerant/run_summary.txt")
    #expect(summary.contains("failed items:\n  patients-05.csv:") && summary.contains("X has 3 features"), "\(summary)")

    let strict = try setup.deployment(
      revision: "rev-strict", settings: ["mini_batch_size": .int(1), "retries": .int(0), "error_threshold": .int(0)],
      output: "strict")
    let error = await #expect(throws: TargetError.self) { try await setup.apply(strict) }
    #expect(error?.message.contains("1 item failed, more than error_threshold 0") == true, "\(String(describing: error))")
    // The run stopped: its Job is deleted, the run recorded failed.
    let jobs = try await setup.double.objects(kind: "Job").compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }
    #expect(!jobs.contains { $0.contains("rev-stri") }, "\(jobs)")
    let record = RunRecord.read(setup.provider.layout.run("diabetes-batch", revision: "rev-strict").recordFile)
    #expect(record?.status == .failed)
  }

  @Test func anInterruptedApplyFindsItsJobAgainAndWritesTheSameOutput() async throws {
    let setup = try await Setup.make()
    defer { Task { await setup.double.stop() } }
    setup.kubelet.pause(after: 3)
    let kubelet = Task { await setup.kubelet.run() }
    defer { kubelet.cancel() }
    let deployment = try setup.deployment()
    // Berth stops half-way (cancelled, as when the controller shuts down): three of six mini-batches are done.
    let first = Task { try await setup.apply(deployment) }
    while setup.kubelet.podsRun < 3 { try await Task.sleep(for: .milliseconds(50)) }
    try await Task.sleep(for: .milliseconds(300))
    first.cancel()
    _ = await first.result
    let record = RunRecord.read(setup.provider.layout.run("diabetes-batch", revision: "rev0000001").recordFile)
    #expect(record?.status == .running)

    setup.kubelet.pause(after: nil)
    let progress = ProgressLines()
    _ = try await setup.apply(deployment, progress: progress)
    #expect(progress.lines.contains { $0.contains("exists (an earlier apply started it)") }, "\(progress.lines)")
    #expect(try await setup.double.objects(kind: "Job").count == 1)
    #expect(setup.kubelet.podsRun == 6)
    #expect(try setup.fixture.read("results/parallel_run_step.txt") == (try setup.fixture.scoredOneByOne(python: setup.python)))
  }

  /// The provider conformance suite with the batch target on a cluster: deploy = a run of the Job, drift = output
  /// deleted behind Berth's back (written again from the journal), a broken `init()` stops the run with its cause.
  @Test(arguments: ProviderConformance.allCases)
  func conformance(_ check: ProviderConformance) async throws {
    let setup = try await Setup.make(inputs: 0)
    defer { Task { await setup.double.stop() } }
    let kubelet = Task { await setup.kubelet.run() }
    defer { kubelet.cancel() }
    try setup.fixture.wrapper("broken_score.py", initLines: ["raise RuntimeError('model file is corrupt: boom-7')"])
    let subject = ProviderSubject(
      provider: setup.provider, computeTargetName: "batch", computeTarget: setup.target,
      deployment: { name, generation in
        var deployment = try setup.deployment(revision: "rev000000\(generation)", output: "out-\(name)")
        deployment.name = name
        deployment.instance = name
        deployment.models = [setup.fixture.model(version: generation)]
        return deployment
      },
      broken: { name in
        var deployment = try setup.deployment(revision: "rev00000bad", output: "out-\(name)")
        deployment.name = name
        deployment.instance = name
        deployment.entryScript = "broken_score.py"
        // The image Berth would build names this entry script in its config; the test kubelet's image config is fixed,
        // so the pod's environment says it.
        deployment.environmentVariables["AZUREML_ENTRY_SCRIPT"] = setup.fixture.root + "/src/broken_score.py"
        return (deployment, "model file is corrupt: boom-7")
      },
      injectDrift: { _, outputs in
        guard case .string(let file)? = outputs["output_file"] else { throw ConformanceFailure(message: "no output_file") }
        try FileManager.default.removeItem(atPath: file)
      })
    try await check.run(subject)
  }
}
