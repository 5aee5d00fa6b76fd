import BerthModel
import BerthProcess
import BerthTargetAPI
import BerthTargetLocal
import Foundation

/// Runs a batch service's job for one revision: prepares the environment and the model folder, lists the inputs,
/// and hands the rest to `BatchRunner` on a thread of its own.
struct BatchJob {
  let provider: BatchTargetProvider
  let deployment: ServiceDeployment
  let progress: @Sendable (String) -> Void

  func run() async throws -> ApplyResponse {
    let settings = BatchSettings(deployment.settings)
    let run = provider.layout.run(deployment.instance, revision: deployment.revision)
    let outputDirectory = try JobInputs.outputFolder(settings, run: run, deployment)
    if let record = RunRecord.read(run.recordFile), record.status == .completed,
      [record.outputFile, record.summaryFile].compactMap({ $0 }).allSatisfy(FileManager.default.fileExists(atPath:))
    {
      return response(record, message: "run \(deployment.revision) already completed; nothing scored")
    }
    let inputs = try JobInputs.gather(deployment, layout: provider.layout)
    let prepared = try await provider.environments.prepare(
      condaFile: deployment.condaFile, resolution: deployment.environmentResolution, progress: progress)
    let modelsRoot = provider.layout.models(deployment.instance, revision: deployment.revision)
    try ModelLayout.link(deployment.models, into: modelsRoot)
    var environment = provider.baseEnvironment.merging(deployment.environmentVariables) { $1 }
    environment["PATH"] = prepared.environment.binDirectory + ":" + (provider.baseEnvironment["PATH"] ?? "/usr/bin:/bin")
    environment["VIRTUAL_ENV"] = prepared.environment.root
    if let modelDirectory = ModelLayout.modelDirectory(for: deployment.models, modelsRoot: modelsRoot) {
      environment["AZUREML_MODEL_DIR"] = modelDirectory
    }
    let request = BatchRunRequest(
      service: deployment.name, revision: deployment.revision, settings: settings, inputRoot: inputs.inputRoot,
      files: inputs.files, reused: inputs.reused, scoringKey: inputs.scoringKey,
      python: prepared.environment.pythonPath, entryScript: deployment.sourceDirectory + "/" + deployment.entryScript,
      environment: environment, runDirectory: run.root, outputDirectory: outputDirectory, progress: progress)
    let now = provider.now
    do {
      let record = try await DedicatedThread.run("berth-batch-\(deployment.name)") { try BatchRunner(request).run(now: now) }
      return response(record, message: "run \(deployment.revision) completed: \(record.succeeded) of \(record.items) items")
    } catch let error as BatchRunError {
      throw TargetError(error.message, logTail: error.logTail)
    }
  }

  func response(_ record: RunRecord, message: String) -> ApplyResponse {
    var outputs: Attributes = [
      "revision": .string(record.revision), ServiceInstance.outputKey: .string(deployment.instance),
      "inputs.sha256": .string(record.inputDigest), "items": .int(record.items), "succeeded": .int(record.succeeded),
      "failed": .int(record.failed), "run_dir": .string(provider.layout.run(deployment.instance, revision: record.revision).root),
    ]
    if let output = record.outputFile { outputs["output_file"] = .string(output) }
    if let summary = record.summaryFile { outputs["summary_file"] = .string(summary) }
    return ApplyResponse(outputs: outputs, message: message)
  }
}
