/// Where a batch service's runs live on this machine: `<runtime>/_batch/<instance>/runs/<revision>/`.
public struct BatchLayout: Hashable, Sendable {
  /// `<runtime>/_batch`.
  public var root: String

  public init(runtimeDirectory: String) { root = runtimeDirectory + "/_batch" }

  /// The folder of every run of service instance `instance`.
  public func service(_ instance: String) -> String { root + "/" + Self.safeName(instance) }

  /// The runs folder of `instance`.
  public func runs(_ instance: String) -> String { service(instance) + "/runs" }

  /// The run of `instance` for `revision`: one per distinct input digest.
  public func run(_ instance: String, revision: String) -> RunLayout {
    RunLayout(root: runs(instance) + "/" + Self.safeName(revision))
  }

  /// `<service>/azureml-models`: the model links the workers see through `AZUREML_MODEL_DIR`.
  public func models(_ instance: String, revision: String) -> String {
    run(instance, revision: revision).root + "/azureml-models"
  }

  /// A name safe as one path component.
  static func safeName(_ name: String) -> String {
    let cleaned = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    return cleaned.isEmpty || cleaned.hasPrefix(".") ? "_" + cleaned : cleaned
  }
}
