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
