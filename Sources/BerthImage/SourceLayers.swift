import BerthTargetAPI
import Foundation

/// The app and model layers: what goes where, and the input digest each is cached by.
enum SourceLayers {
  /// Files a source directory holds that are not part of the app.
  static func isNoise(_ imagePath: String) -> Bool {
    let name = imagePath.split(separator: "/").last.map(String.init) ?? ""
    return name == "__pycache__" || name == ".git" || name == ".berth" || name == ".DS_Store" || name.hasSuffix(".pyc")
  }

  /// The source directory at `/var/azureml-app`, keyed by the digest of every path, mode and file content.
  static func app(sourceDirectory: String) throws -> (key: String, tree: LayerTree) {
    var tree = LayerTree()
    try tree.add(source: sourceDirectory, at: ImageLayout.appRoot, excluding: isNoise)
    return (try tree.fingerprint(salt: "app:v1"), tree)
  }

  /// One model version at `/var/azureml-app/azureml-models/<name>/<version>/<basename>`, keyed by its registered digest.
  static func model(_ model: DeployedModel) -> (key: String, tree: @Sendable () throws -> LayerTree) {
    let key = Digest.sha256("berth-model-layer:v1\n\(model.name)\n\(model.version)\n\(model.basename)\n\(model.sha256)\n")
    return (
      key,
      {
        var tree = LayerTree()
        try tree.add(
          source: model.storePath + "/" + model.basename,
          at: "\(ImageLayout.modelRoot)/\(model.name)/\(model.version)/\(model.basename)")
        return tree
      }
    )
  }

  /// A target's layer (`ImageLayerContent`), keyed by its description and every file's image path and digest.
  static func extra(_ content: ImageLayerContent) -> (key: String, tree: @Sendable () throws -> LayerTree) {
    var text = "berth-extra-layer:v1\n\(content.description)\n"
    for file in content.files.sorted(by: { $0.imagePath < $1.imagePath }) { text += "\(file.imagePath)\n\(file.sha256)\n" }
    return (
      Digest.sha256(text),
      {
        var tree = LayerTree()
        for file in content.files {
          switch file.source {
          case .path(let path): try tree.add(source: path, at: file.imagePath)
          case .bytes(let bytes): tree.addBytes(file.imagePath, Data(bytes))
          }
        }
        return tree
      }
    )
  }
}
