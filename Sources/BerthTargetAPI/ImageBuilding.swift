import BerthModel

/// Builds a service's OCI image and pushes it to a registry, for targets that run containers.
public protocol ImageBuilding: Sendable {
  func build(_ request: ImageBuildRequest) async throws -> ImageBuildResponse
}

/// Which service to build, on which base image, and where to push it.
public struct ImageBuildRequest: Sendable {
  /// The resolved service; `image` is ignored.
  public var deployment: ServiceDeployment
  /// The InferenceConfig's `base_image`, or `nil` for the default (`python:<version>-slim`).
  public var baseImage: String?
  /// Pull credentials of the base image, by reference.
  public var baseImageRegistry: RegistryReference?
  /// The Workspace `registry` the image is pushed to.
  public var registry: RegistryReference
  /// The repository in that registry, e.g. `berth/diabetes-aks`.
  public var repository: String
  /// Layers the service's target adds on top of the app and model layers (`ImageContributing`), in order.
  public var extraLayers: [ImageLayerContent]
  public var progress: @Sendable (String) -> Void

  public init(
    deployment: ServiceDeployment, baseImage: String?, baseImageRegistry: RegistryReference?, registry: RegistryReference,
    repository: String, extraLayers: [ImageLayerContent] = [], progress: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.deployment = deployment
    self.baseImage = baseImage
    self.baseImageRegistry = baseImageRegistry
    self.registry = registry
    self.repository = repository
    self.extraLayers = extraLayers
    self.progress = progress
  }
}

/// A layer a target adds to a service's image: files by their path in the image.
public struct ImageLayerContent: Sendable, Hashable {
  /// One file of the layer.
  public struct File: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
      /// A file on this machine, read when the layer is built.
      case path(String)
      case bytes([UInt8])
    }
    /// Absolute path in the image.
    public var imagePath: String
    public var source: Source
    /// The file's digest (`sha256` hex), which keys the layer cache: a layer whose files' digests are unchanged is
    /// reused without reading them.
    public var sha256: String

    public init(imagePath: String, source: Source, sha256: String) {
      self.imagePath = imagePath
      self.source = source
      self.sha256 = sha256
    }
  }

  /// What the layer is, for the image's history (e.g. `berth: batch inputs`).
  public var description: String
  public var files: [File]

  public init(description: String, files: [File]) {
    self.description = description
    self.files = files
  }
}

/// A target provider whose services' images need more than the app and models (a batch job's inputs and runner).
public protocol ImageContributing: Sendable {
  /// The layers to add to `deployment`'s image; throws a `TargetError` when they cannot be gathered.
  func imageLayers(for deployment: ServiceDeployment) throws -> [ImageLayerContent]
}

/// The pushed image and what the push cost.
public struct ImageBuildResponse: Sendable {
  public var image: ContainerImage
  /// Values to record (`image.reference`, `image.digest`).
  public var outputs: Attributes
  /// Bytes of blobs and manifest sent to the registry (0 layer bytes when nothing changed).
  public var bytesUploaded: Int
  /// Of those, bytes of layers.
  public var layerBytesUploaded: Int
  public var message: String

  public init(image: ContainerImage, outputs: Attributes, bytesUploaded: Int, layerBytesUploaded: Int, message: String) {
    self.image = image
    self.outputs = outputs
    self.bytesUploaded = bytesUploaded
    self.layerBytesUploaded = layerBytesUploaded
    self.message = message
  }
}

/// Builds and pushes the image that runs `berth gateway` in a cluster (for endpoints whose manifests name none).
public protocol GatewayImageBuilding: Sendable {
  /// Builds on `baseImage` (pull credentials in `baseImageRegistry`) and pushes to `registry`; the image by digest.
  func buildGatewayImage(
    baseImage: String, baseImageRegistry: RegistryReference?, registry: RegistryReference,
    progress: @escaping @Sendable (String) -> Void
  ) async throws -> ContainerImage
}
