import BerthTargetAPI
import Foundation

/// Makes models appear to the scoring server as Azure ML lays them out.
///
/// Each model version appears at `<root>/azureml-models/<name>/<version>/<basename>`,
/// where `<root>/azureml-models/<name>/<version>` is a symbolic link to the
/// (read-only) model store folder that holds `<basename>`. `AZUREML_MODEL_DIR`
/// is `<root>/azureml-models/<name>/<version>` for a service with one model and
/// `<root>/azureml-models` for a service with several. See `docs/model-layout.md`.
public enum ModelLayout {
  /// `AZUREML_MODEL_DIR` for `models` under `modelsRoot` (`<root>/azureml-models`); `nil` without models.
  public static func modelDirectory(for models: [DeployedModel], modelsRoot: String) -> String? {
    switch models.count {
    case 0: nil
    case 1: modelsRoot + "/" + models[0].name + "/" + String(models[0].version)
    default: modelsRoot
    }
  }

  /// Creates `<modelsRoot>/<name>/<version>` → `storePath` for each model; throws `TargetError`.
  public static func link(_ models: [DeployedModel], into modelsRoot: String) throws {
    let fileManager = FileManager.default
    for model in models {
      var isDirectory: ObjCBool = false
      guard fileManager.fileExists(atPath: model.storePath + "/" + model.basename, isDirectory: &isDirectory) else {
        throw TargetError(
          "model \(model.name):\(model.version) is missing from the model store (\(model.storePath)/\(model.basename)); register it again"
        )
      }
      let folder = modelsRoot + "/" + ServiceLayout.safeName(model.name)
      do {
        try fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let link = folder + "/" + String(model.version)
        try? fileManager.removeItem(atPath: link)
        try fileManager.createSymbolicLink(atPath: link, withDestinationPath: model.storePath)
      } catch {
        throw TargetError("cannot lay out model \(model.name):\(model.version) under \(folder): \(error.localizedDescription)")
      }
    }
  }
}
