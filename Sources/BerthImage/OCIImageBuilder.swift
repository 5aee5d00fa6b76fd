import AsyncHTTPClient
import BerthModel
import BerthPythonSpec
import BerthTargetAPI
import Foundation

/// Builds a service's image without a container engine and pushes it: base image by manifest, then a dependencies
/// layer (uv), an app layer and one layer per model version, each cached by the digest of its inputs.
public struct OCIImageBuilder: ImageBuilding {
  /// Layer cache and uv scratch space, e.g. `<workspace>/.berth/images`.
  public var cacheDirectory: String
  public var environment: [String: String]
  /// Azure AD access to Azure Container Registries without credentials (`ACRTokenExchange`); nil: none.
  public var registryExchange: ACRTokenExchange? = nil
  /// The uv executable and a real Python interpreter for it to resolve with (not a pyenv shim; `nil` lets uv choose).
  /// Called only when a dependencies layer must be built.
  public var locateTools: @Sendable () throws -> (uv: String, python: String?)
  public var http: HTTPClient
  /// When each pin was released, for the era rule; `nil` installs without era bounds and says so.
  public var releaseDates: (any ReleaseDateLooking)?

  public init(
    cacheDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment,
    locateTools: @escaping @Sendable () throws -> (uv: String, python: String?), http: HTTPClient = RegistryHTTP.client,
    releaseDates: (any ReleaseDateLooking)? = nil
  ) {
    self.cacheDirectory = cacheDirectory
    self.environment = environment
    self.locateTools = locateTools
    self.http = http
    self.releaseDates = releaseDates
  }

  public func build(_ request: ImageBuildRequest) async throws -> ImageBuildResponse {
    do {
      return try await buildAndPush(request)
    } catch let error as RegistryError {
      throw TargetError(error.description, isRetryable: error.isRetryable)
    } catch let error as ImageBuildError {
      throw TargetError(error.description, isRetryable: error.isRetryable, logTail: error.outputTail)
    }
  }

  /// Builds and pushes; throws `RegistryError` or `ImageBuildError`.
  public func buildAndPush(_ request: ImageBuildRequest) async throws -> ImageBuildResponse {
    let deployment = request.deployment
    let progress = request.progress
    let spec: PythonEnvironmentSpec
    do {
      spec = try CondaEnvironmentFile.load(path: deployment.condaFile).pythonEnvironmentSpec(
        resolution: deployment.environmentResolution)
    } catch let error as CondaFileError {
      throw ImageBuildError(error.message)
    }
    if spec.condaFileText != nil {
      throw ImageBuildError(
        "environment '\(deployment.environmentName)' asks for 'solver: conda', which only the local target supports; image dependencies are installed with uv"
      )
    }
    var credentials = CredentialSource(environment: environment)
    credentials.exchange = registryExchange

    // Where the image goes.
    let destination = try Destination(request.registry, repository: request.repository)
    let target = RegistryClient(
      host: destination.host, insecure: request.registry.insecure,
      credentials: try await credentials.resolve(request.registry, host: destination.host))

    // The base image, by manifest and config only.
    let baseText = request.baseImage ?? "python:\(spec.pythonVersion ?? "3.11")-slim"
    guard let baseReference = ImageReference(parsing: baseText) else {
      throw ImageBuildError("base image '\(baseText)' is not an image reference (registry/repository:tag or @sha256:…)")
    }
    let sameRegistry = baseReference.registry == destination.host
    let baseClient =
      sameRegistry && request.baseImageRegistry == nil
      ? target
      : RegistryClient(
        host: baseReference.apiHost, insecure: request.baseImageRegistry?.insecure ?? false,
        credentials: try await credentials.resolve(
          request.baseImageRegistry ?? RegistryReference(address: baseReference.registry), host: baseReference.registry))
    progress("reading base image \(baseText)…")
    let base = try await BaseImage.resolve(baseReference, client: baseClient)
    let pythonVersion = try Self.pythonVersion(spec: spec, base: base)
    progress(
      "base \(baseReference.registry)/\(baseReference.repository)@\(base.digest.prefix(19))… (\(base.platform.os)/\(base.platform.architecture), Python \(pythonVersion))"
    )

    // Our layers, from the cache when their inputs are unchanged.
    let cache = LayerCache(directory: cacheDirectory + "/layers")
    let dependencies = DependencyLayer(
      spec: spec, pythonVersion: pythonVersion, uvPlatform: try DependencyLayer.uvPlatform(for: base.platform))
    let scratch = cacheDirectory + "/scratch-\(getpid())-\(Digest.encoded(dependencies.key).prefix(12))"
    let (locateTools, environment, releaseDates) = (self.locateTools, self.environment, self.releaseDates)
    let (dependencyLayer, dependenciesReused) = try await Self.onOwnThread {
      defer { try? FileManager.default.removeItem(atPath: scratch) }
      return try cache.layer(for: dependencies.key) {
        let tools = try locateTools()
        let era = try dependencies.era(releaseDates: releaseDates, progress: progress)
        return try dependencies.tree(
          uv: tools.uv, python: tools.python, scratch: scratch, environment: environment, era: era, progress: progress)
      }
    }
    progress("dependencies layer \(dependenciesReused ? "reused" : "built") (\(Self.size(dependencyLayer.size)))")
    let sourceDirectory = deployment.sourceDirectory
    let app = try await Self.onOwnThread { try SourceLayers.app(sourceDirectory: sourceDirectory) }
    let appTree = app.tree
    let (appLayer, appReused) = try await Self.onOwnThread { try cache.layer(for: app.key) { appTree } }
    progress("app layer \(appReused ? "reused" : "built") (\(Self.size(appLayer.size)))")
    var layers: [(BuiltLayer, String)] = [
      (dependencyLayer, "berth: dependencies (uv, Python \(pythonVersion))"),
      (appLayer, "berth: app \(ImageLayout.appRoot)"),
    ]
    for model in deployment.models.sorted(by: { ($0.name, $0.version) < ($1.name, $1.version) }) {
      let source = SourceLayers.model(model)
      let (layer, reused) = try await Self.onOwnThread { try cache.layer(for: source.key, tree: source.tree) }
      progress("model \(model.name):\(model.version) layer \(reused ? "reused" : "built") (\(Self.size(layer.size)))")
      layers.append((layer, "berth: model \(model.name):\(model.version)"))
    }
    for extra in request.extraLayers {
      let source = SourceLayers.extra(extra)
      let (layer, reused) = try await Self.onOwnThread { try cache.layer(for: source.key, tree: source.tree) }
      progress("\(extra.description) layer \(reused ? "reused" : "built") (\(Self.size(layer.size)))")
      layers.append((layer, extra.description))
    }

    // Config and manifest.
    let config = Self.config(
      base: base, deployment: deployment, layers: layers,
      labels: [
        "org.berth.base.digest": base.digest,
        "org.berth.base.image": baseText,
        "org.berth.dependencies.key": dependencies.key,
        "org.berth.source.digest": app.key,
        "org.berth.service": deployment.name,
      ].merging(
        Dictionary(
          deployment.models.sorted { $0.version < $1.version }.map {
            ("org.berth.model.\($0.name)", "\($0.version) sha256:\($0.sha256)")
          }, uniquingKeysWith: { "\($0), \($1)" })
      ) { $1 })
    let configData = try CanonicalJSON.encode(config)
    let configDescriptor = Descriptor(mediaType: MediaType.ociConfig, digest: Digest.sha256(configData), size: configData.count)
    let manifest = ImageManifest(
      config: configDescriptor,
      layers: base.ociLayers + layers.map { Descriptor(mediaType: MediaType.ociLayerGzip, digest: $0.0.digest, size: $0.0.size) })
    let manifestData = try CanonicalJSON.encode(manifest)
    let manifestDigest = Digest.sha256(manifestData)

    let repository = destination.repository
    let (uploaded, layerBytes) = try await Self.push(
      base: base, baseReference: baseReference, baseClient: baseClient, target: target, repository: repository,
      layers: layers.map(\.0), config: (configDescriptor.digest, configData), manifest: (manifestDigest, manifestData),
      cacheDirectory: cacheDirectory, progress: progress)
    let reference = ImageReference(registry: destination.host, repository: repository, digest: manifestDigest)
    let image = ContainerImage(
      reference: reference.description, digest: manifestDigest, registry: destination.host,
      usernameEnv: request.registry.usernameEnv, passwordEnv: request.registry.passwordEnv)
    progress("pushed \(reference) (\(Self.size(layerBytes)) of layers uploaded)")
    return ImageBuildResponse(
      image: image, outputs: ["image.reference": .string(image.reference), "image.digest": .string(manifestDigest)],
      bytesUploaded: uploaded, layerBytesUploaded: layerBytes,
      message: "image \(reference) (\(Self.size(layerBytes)) of layers uploaded)")
  }

  /// Pushes an image: HEAD every blob first; mounts base layers across repositories when the registry is the same,
  /// else streams them through `cacheDirectory/blobs`; then the config and the manifest. Returns the bytes sent and
  /// the layer bytes among them.
  static func push(
    base: BaseImage, baseReference: ImageReference, baseClient: RegistryClient, target: RegistryClient,
    repository: String, layers: [BuiltLayer], config: (digest: String, data: Data),
    manifest: (digest: String, data: Data), cacheDirectory: String, progress: @Sendable (String) -> Void
  ) async throws -> (uploaded: Int, layerBytes: Int) {
    var uploaded = 0
    var layerBytes = 0
    let sameRegistry = baseReference.registry == target.host
    for layer in base.manifest.layers {
      if try await target.hasBlob(repository, digest: layer.digest) { continue }
      if sameRegistry, try await target.mountBlob(repository, digest: layer.digest, from: baseReference.repository) {
        continue
      }
      // Another registry: stream the blob through a file (kept, so a second push does not download it again).
      progress("copying base layer \(layer.digest.prefix(19))… (\(Self.size(layer.size))) from \(baseReference.registry)")
      let blobs = cacheDirectory + "/blobs"
      let file = blobs + "/" + Digest.encoded(layer.digest)
      var size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? -1
      if size != layer.size {
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        size = try await baseClient.downloadBlob(baseReference.repository, digest: layer.digest, to: file)
      }
      try await target.uploadBlob(repository, digest: layer.digest, file: file, size: size)
      uploaded += size
      layerBytes += size
    }
    for layer in layers {
      if try await target.hasBlob(repository, digest: layer.digest) { continue }
      try await target.uploadBlob(repository, digest: layer.digest, file: layer.path, size: layer.size)
      uploaded += layer.size
      layerBytes += layer.size
    }
    if try await !target.hasBlob(repository, digest: config.digest) {
      try await target.uploadBlob(repository, digest: config.digest, data: config.data)
      uploaded += config.data.count
    }
    try await target.putManifest(
      repository, reference: "sha256-" + Digest.encoded(manifest.digest), data: manifest.data,
      mediaType: MediaType.ociManifest)
    uploaded += manifest.data.count
    return (uploaded, layerBytes)
  }

  /// The Python the dependencies are built for: the conda pin and the base image's `PYTHON_VERSION` must agree.
  static func pythonVersion(spec: PythonEnvironmentSpec, base: BaseImage) throws -> String {
    switch (spec.pythonVersion, base.pythonVersion) {
    case (let pinned?, let image?) where pinned != image:
      throw ImageBuildError(
        "the conda file pins python=\(pinned) but base image \(base.reference) has Python \(image)\n  hint: pin python=\(image) or choose a base image with Python \(pinned)"
      )
    case (let pinned?, _): return pinned
    case (nil, let image?): return image
    case (nil, nil):
      throw ImageBuildError(
        "cannot tell which Python base image \(base.reference) has: it sets no PYTHON_VERSION\n  hint: pin python=X.Y in the conda file"
      )
    }
  }

  /// The base config with Berth's layers, environment, entrypoint, port and labels; fixed `created` for reproducibility.
  static func config(base: BaseImage, deployment: ServiceDeployment, layers: [(BuiltLayer, String)], labels: [String: String])
    -> ImageConfig
  {
    var config = base.config
    config.created = "1970-01-01T00:00:00Z"
    var run = config.config ?? ImageConfig.RunConfig()
    var environment: [(String, String)] = (run.env ?? []).compactMap { entry in
      entry.firstIndex(of: "=").map { (String(entry[..<$0]), String(entry[entry.index(after: $0)...])) }
    }
    var ours = deployment.environmentVariables
    let entryScript = ImageLayout.appRoot + "/" + deployment.entryScript
    ours["PYTHONPATH"] = ImageLayout.pythonPath
    ours["AML_APP_ROOT"] = ImageLayout.appRoot
    ours["AZUREML_ENTRY_SCRIPT"] = entryScript
    ours["WORKER_COUNT"] = String(
      deployment.settings["worker_count"].flatMap { if case .int(let n) = $0 { n } else { nil } } ?? 1)
    ours["SERVER_PORT"] = String(ImageLayout.port)
    if let modelDirectory = ImageLayout.modelDirectory(for: deployment.models) { ours["AZUREML_MODEL_DIR"] = modelDirectory }
    environment.removeAll { ours[$0.0] != nil }
    environment += ours.sorted { $0.key < $1.key }
    run.env = environment.map { "\($0.0)=\($0.1)" }
    run.entrypoint = [ImageLayout.launcher, "--entry_script", entryScript, "--port", String(ImageLayout.port)]
    run.cmd = nil
    run.workingDir = ImageLayout.appRoot
    run.exposedPorts = ["\(ImageLayout.port)/tcp": EmptyObject()]
    run.labels = (run.labels ?? [:]).merging(labels) { $1 }
    config.config = run
    config.rootfs.diffIDs += layers.map(\.0.diffID)
    config.history =
      (config.history ?? []) + layers.map { ImageConfig.History(created: "1970-01-01T00:00:00Z", createdBy: $0.1) }
    return config
  }

  /// Runs blocking work (uv, tar, gzip, file hashing) on a thread of its own, never on Swift's cooperative pool.
  static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
  }

  static func size(_ bytes: Int) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    if bytes < 1 << 20 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
    return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
  }
}

/// The Workspace registry's host and the full repository (`ghcr.io/org` + `berth/svc` → `ghcr.io`, `org/berth/svc`).
struct Destination {
  var host: String
  var repository: String

  init(_ registry: RegistryReference, repository: String) throws {
    var address = registry.address
    for scheme in ["https://", "http://"] where address.hasPrefix(scheme) { address.removeFirst(scheme.count) }
    let parts = address.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    guard let host = parts.first else { throw ImageBuildError("the Workspace registry has an empty address") }
    self.host = host
    self.repository = (parts.dropFirst() + [repository]).joined(separator: "/")
  }
}
