import BerthModel
import BerthTargetAPI
import Foundation

/// What one revision of a batch job scores: its settings, the files under `input_path`, the rows it can take from
/// earlier runs (`incremental`) and the mini-batches of the rest. Gathered the same way for the image's input layer
/// (a job on a cluster) and for the run, so both see the same partition.
struct JobInputs {
  let settings: BatchSettings
  let inputRoot: String
  let files: [InputFile]
  let reused: [InputFile: String]
  let scoringKey: String

  static func gather(_ deployment: ServiceDeployment, layout: BatchLayout) throws -> JobInputs {
    let settings = BatchSettings(deployment.settings)
    guard let input = settings.inputPath else {
      throw TargetError("service '\(deployment.name)' on a batch target has no deployment.input_path to score")
    }
    let inputRoot = try resolve(input, deployment)
    let files: [InputFile]
    do {
      files = try InputListing.files(under: inputRoot)
    } catch {
      throw TargetError("\(error)")
    }
    let scoringKey: String
    do {
      scoringKey = try ScoringKey.of(deployment)
    } catch {
      throw TargetError("cannot read the source directory \(deployment.sourceDirectory): \(error)")
    }
    let inputs = Set(files)
    let reused =
      settings.incremental
      ? ReusedRows.find(in: layout.runs(deployment.instance), key: scoringKey, except: deployment.revision) : [:]
    return JobInputs(
      settings: settings, inputRoot: inputRoot, files: files, reused: reused.filter { key, _ in inputs.contains(key) },
      scoringKey: scoringKey)
  }

  /// The files scored in this run (not reused), in input order.
  var filesToScore: [InputFile] { files.filter { reused[$0] == nil } }

  /// The names of each mini-batch of `filesToScore`.
  var miniBatches: [[String]] { MiniBatchPartition.split(filesToScore.map(\.name), size: settings.miniBatchSize) }

  /// `output_path` under the manifest's folder, or `<run>/output` without one.
  static func outputFolder(_ settings: BatchSettings, run: RunLayout, _ deployment: ServiceDeployment) throws -> String {
    guard let output = settings.outputPath else { return run.root + "/output" }
    return try resolve(output, deployment)
  }

  static func resolve(_ path: String, _ deployment: ServiceDeployment) throws -> String {
    if path.hasPrefix("/") { return path }
    guard let base = deployment.manifestDirectory else {
      throw TargetError("service '\(deployment.name)': '\(path)' is relative and the manifest's folder is unknown")
    }
    return ((base + "/" + path) as NSString).standardizingPath
  }
}
