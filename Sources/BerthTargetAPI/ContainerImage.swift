import BerthModel

/// A pushed OCI image, referenced by digest, that container targets (Kubernetes, ACI, IoT Edge) run.
public struct ContainerImage: Hashable, Sendable, Codable {
  /// `registry/repository@sha256:…`: what a pod spec or container group names.
  public var reference: String
  /// The manifest digest, `sha256:…`.
  public var digest: String
  /// The registry host the image lives in (`myregistry.azurecr.io`, `127.0.0.1:5000`).
  public var registry: String
  /// Names of the environment variables holding pull credentials, when the registry needs them.
  public var usernameEnv: String?
  public var passwordEnv: String?

  public init(reference: String, digest: String, registry: String, usernameEnv: String? = nil, passwordEnv: String? = nil) {
    self.reference = reference
    self.digest = digest
    self.registry = registry
    self.usernameEnv = usernameEnv
    self.passwordEnv = passwordEnv
  }
}

/// Where the scoring server lives in the images Berth builds: what container targets need to start it on another port.
public enum ScoringImageLayout {
  /// The `azmlinfsrv` console script; it reads `AZUREML_ENTRY_SCRIPT` and the rest from the image's environment.
  public static let launcher = "/usr/local/bin/azmlinfsrv"
  /// The port `azmlinfsrv` listens on in a container (its default, as in Azure ML).
  public static let port = 5001
}
