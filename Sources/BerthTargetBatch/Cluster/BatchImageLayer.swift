import BerthModel
import BerthTargetAPI
import Crypto
import Foundation

/// The layer a batch job's image carries on a cluster: the pod worker program, the mini-batch plan and the input
/// files to score, under `/opt/berth/batch`. The pods fetch their inputs with the image (by digest), so the run needs
/// no volume and no credentials beyond the image pull.
enum BatchImageLayer {
  /// The plan the pods read: the inputs' digest (checked against the Job's) and each mini-batch's file names.
  struct Plan: Codable, Equatable {
    var inputsSHA256: String
    var miniBatches: [[String]]

    enum CodingKeys: String, CodingKey {
      case inputsSHA256 = "inputs_sha256"
      case miniBatches = "mini_batches"
    }
  }

  static func content(_ inputs: JobInputs) throws -> ImageLayerContent {
    let plan = Plan(inputsSHA256: InputListing.digest(inputs.files), miniBatches: inputs.miniBatches)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let planBytes = Array(try encoder.encode(plan))
    let program = Array(PodWorkerProgram.source.utf8)
    var files: [ImageLayerContent.File] = [
      .init(imagePath: PodWorkerProgram.programPath, source: .bytes(program), sha256: digest(program)),
      .init(imagePath: PodWorkerProgram.planPath, source: .bytes(planBytes), sha256: digest(planBytes)),
    ]
    for file in inputs.filesToScore {
      files.append(
        .init(
          imagePath: PodWorkerProgram.inputsRoot + "/" + file.name,
          source: .path(URL(fileURLWithPath: inputs.inputRoot + "/" + file.name).resolvingSymlinksInPath().path),
          sha256: file.sha256))
    }
    return ImageLayerContent(description: "berth: batch runner and \(inputs.filesToScore.count) input files", files: files)
  }

  static func digest(_ bytes: [UInt8]) -> String { Hex.encode(SHA256.hash(data: bytes)) }
}
