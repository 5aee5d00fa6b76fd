import BerthTargetAPI

/// Where things live inside a built image: the Azure ML layout (`docs/model-layout.md`, `docs/images.md`).
public enum ImageLayout {
  /// The source directory's contents; the working directory and `AML_APP_ROOT`.
  public static let appRoot = "/var/azureml-app"
  /// `<appRoot>/azureml-models/<name>/<version>/<basename>`.
  public static let modelRoot = appRoot + "/azureml-models"
  /// The dependencies installed by uv (`PYTHONPATH`).
  public static let pythonPath = "/opt/berth/python"
  /// A launcher for `azureml_inference_server_http.amlserver:run`, the `azmlinfsrv` console script.
  public static let launcher = ScoringImageLayout.launcher
  /// The port `azmlinfsrv` listens on in a container (its default, as in Azure ML).
  public static let port = ScoringImageLayout.port

  /// `AZUREML_MODEL_DIR` by the one rule: the version folder for one model, the root for several, unset for none.
  public static func modelDirectory(for models: [DeployedModel]) -> String? {
    switch models.count {
    case 0: nil
    case 1: "\(modelRoot)/\(models[0].name)/\(models[0].version)"
    default: modelRoot
    }
  }

  /// The launcher's text: the console script uv would write, with a shebang that works in any image with python3.
  static let launcherScript = """
    #!/usr/bin/env python3
    import sys
    from azureml_inference_server_http.amlserver import run
    sys.exit(run())

    """
}
