import AsyncHTTPClient
import BerthModel
import BerthTargetAPI
import Foundation

/// Builds the gateway image daemonlessly: a base image (Debian) plus one layer holding a `berth` binary — by
/// default the one running — and the shared libraries it needs that the base does not provide, at the paths
/// the binary looks for them. The entrypoint is `berth`, the command `gateway --config …`.
///
/// A release `berth` built with `--static-swift-stdlib` needs no library beyond glibc, so its layer is the binary
/// alone; a dynamically linked build (the debug build the tests use) brings the Swift runtime with it. The same
/// binary and base give the same digest: the layer is keyed by the binary's SHA-256 and the libraries' digests.
public struct GatewayImageBuilder: GatewayImageBuilding {
  /// Where the image's command expects the route table (the routes ConfigMap is mounted there).
  public static let defaultCommand = ["gateway", "--config", "/etc/berth-gateway/routes/gateway.json"]
  public static let binaryPath = "/usr/local/bin/berth"
  public static let port = 8080

  public var cacheDirectory: String
  public var environment: [String: String]
  /// Azure AD access to Azure Container Registries without credentials (`ACRTokenExchange`); nil: none.
  public var registryExchange: ACRTokenExchange? = nil
  public var http: HTTPClient
  /// The `berth` executable `buildGatewayImage` puts in the image.
  public var binary: String

  public init(
    cacheDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment,
    http: HTTPClient = RegistryHTTP.client, binary: String = GatewayImageBuilder.runningExecutable()
  ) {
    self.cacheDirectory = cacheDirectory
    self.environment = environment
    self.http = http
    self.binary = binary
  }

  /// The path of the running executable.
  public static func runningExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }

  /// What to build and where to push it.
  public struct Request: Sendable {
    /// The `berth` executable to put in the image.
    public var binary: String
    public var baseImage: String
    public var baseImageRegistry: RegistryReference?
    public var registry: RegistryReference
    public var repository: String

    public init(
      binary: String, baseImage: String, baseImageRegistry: RegistryReference? = nil, registry: RegistryReference,
      repository: String = "berth/gateway"
    ) {
      self.binary = binary
      self.baseImage = baseImage
      self.baseImageRegistry = baseImageRegistry
      self.registry = registry
      self.repository = repository
    }
  }

  /// Builds and pushes; the image by digest.
  public func build(_ request: Request, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws
    -> ContainerImage
  {
    var credentials = CredentialSource(environment: environment)
    credentials.exchange = registryExchange
    let destination = try Destination(request.registry, repository: request.repository)
    let target = RegistryClient(
      host: destination.host, insecure: request.registry.insecure,
      credentials: try await credentials.resolve(request.registry, host: destination.host))
    guard let baseReference = ImageReference(parsing: request.baseImage) else {
      throw ImageBuildError("base image '\(request.baseImage)' is not an image reference")
    }
    let baseClient =
      baseReference.registry == destination.host && request.baseImageRegistry == nil
      ? target
      : RegistryClient(
        host: baseReference.apiHost, insecure: request.baseImageRegistry?.insecure ?? false,
        credentials: try await credentials.resolve(
          request.baseImageRegistry ?? RegistryReference(address: baseReference.registry), host: baseReference.registry))
    progress("reading base image \(request.baseImage)…")
    let base = try await BaseImage.resolve(baseReference, client: baseClient)
    guard base.platform.os == "linux", base.platform.architecture == "amd64" else {
      throw ImageBuildError(
        "base image \(request.baseImage) is \(base.platform.os)/\(base.platform.architecture); the gateway binary is linux/amd64")
    }

    let binary = request.binary
    let contents = try await OCIImageBuilder.onOwnThread { try Self.contents(binary: binary) }
    let cache = LayerCache(directory: cacheDirectory + "/layers")
    let tree = contents.tree
    let built = try await OCIImageBuilder.onOwnThread { try cache.layer(for: contents.key) { tree } }
    let (layer, reused) = (built.layer, built.reused)
    progress(
      "gateway layer \(reused ? "reused" : "built"): berth + \(contents.libraries.count) shared libraries (\(OCIImageBuilder.size(layer.size)))"
    )

    var config = base.config
    config.created = "1970-01-01T00:00:00Z"
    var run = config.config ?? ImageConfig.RunConfig()
    run.entrypoint = [Self.binaryPath]
    run.cmd = Self.defaultCommand
    run.workingDir = "/"
    run.exposedPorts = ["\(Self.port)/tcp": EmptyObject()]
    run.labels = (run.labels ?? [:]).merging([
      "org.berth.base.digest": base.digest, "org.berth.base.image": request.baseImage,
      "org.berth.gateway.layer": contents.key,
    ]) { $1 }
    config.config = run
    config.rootfs.diffIDs.append(layer.diffID)
    config.history =
      (config.history ?? []) + [
        ImageConfig.History(created: "1970-01-01T00:00:00Z", createdBy: "berth: gateway binary and its libraries")
      ]
    let configData = try CanonicalJSON.encode(config)
    let configDescriptor = Descriptor(mediaType: MediaType.ociConfig, digest: Digest.sha256(configData), size: configData.count)
    let manifest = ImageManifest(
      config: configDescriptor,
      layers: base.ociLayers + [Descriptor(mediaType: MediaType.ociLayerGzip, digest: layer.digest, size: layer.size)])
    let manifestData = try CanonicalJSON.encode(manifest)
    let manifestDigest = Digest.sha256(manifestData)
    let (_, layerBytes) = try await OCIImageBuilder.push(
      base: base, baseReference: baseReference, baseClient: baseClient, target: target,
      repository: destination.repository, layers: [layer], config: (configDescriptor.digest, configData),
      manifest: (manifestDigest, manifestData), cacheDirectory: cacheDirectory, progress: progress)
    let reference = ImageReference(registry: destination.host, repository: destination.repository, digest: manifestDigest)
    progress("pushed \(reference) (\(OCIImageBuilder.size(layerBytes)) of layers uploaded)")
    return ContainerImage(
      reference: reference.description, digest: manifestDigest, registry: destination.host,
      usernameEnv: request.registry.usernameEnv, passwordEnv: request.registry.passwordEnv)
  }

  /// Builds from `binary` (default: the running executable) for an apply; errors as `TargetError`.
  public func buildGatewayImage(
    baseImage: String, baseImageRegistry: RegistryReference?, registry: RegistryReference,
    progress: @escaping @Sendable (String) -> Void
  ) async throws -> ContainerImage {
    do {
      return try await build(
        Request(binary: binary, baseImage: baseImage, baseImageRegistry: baseImageRegistry, registry: registry),
        progress: progress)
    } catch let error as RegistryError {
      throw TargetError(error.description, isRetryable: error.isRetryable)
    } catch let error as ImageBuildError {
      throw TargetError(error.description, isRetryable: error.isRetryable)
    }
  }

  /// The layer's files: the binary and its non-glibc shared libraries, and the cache key over their contents.
  struct Contents: Sendable {
    var tree: LayerTree
    var key: String
    var libraries: [String]
  }

  static func contents(binary: String) throws -> Contents {
    guard FileManager.default.isExecutableFile(atPath: binary) else {
      throw ImageBuildError("'\(binary)' is not an executable file")
    }
    var tree = LayerTree()
    try tree.add(source: binary, at: binaryPath)
    var keyParts = ["berth-gateway-layer-v1", try Digest.sha256(ofFile: binary)]
    let libraries = try sharedLibraries(of: binary)
    for library in libraries {
      let real = URL(fileURLWithPath: library).resolvingSymlinksInPath().path
      // Under the folder's real path: on a merged-/usr base `/lib` is a symlink to `usr/lib`, and a layer entry
      // for a `lib` folder would replace it and hide the base's C library.
      let folder = URL(fileURLWithPath: (library as NSString).deletingLastPathComponent).resolvingSymlinksInPath().path
      let imagePath = folder + "/" + (library as NSString).lastPathComponent
      try tree.add(source: real, at: imagePath)
      keyParts.append(imagePath + "=" + (try Digest.sha256(ofFile: real)))
    }
    return Contents(tree: tree, key: Digest.sha256(Data(keyParts.joined(separator: "\n").utf8)), libraries: libraries)
  }

  /// The C library and its family come from the base image; everything else the binary links is carried along.
  static func isFromBase(_ path: String) -> Bool {
    let name = (path as NSString).lastPathComponent
    let glibc = ["libc.so", "libm.so", "libpthread.so", "libdl.so", "librt.so", "libresolv.so", "libutil.so", "ld-linux"]
    return glibc.contains { name.hasPrefix($0) }
  }

  /// The resolved paths `ldd` reports for `binary`, minus the base image's glibc.
  static func sharedLibraries(of binary: String) throws -> [String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
    process.arguments = [binary]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    // "not a dynamic executable": a static binary needs nothing.
    guard process.terminationStatus == 0 else { return [] }
    var paths: [String] = []
    for line in output.split(separator: "\n") {
      let words = line.split(separator: " ")
      guard let arrow = words.firstIndex(of: "=>"), arrow + 1 < words.count else { continue }
      let path = String(words[arrow + 1])
      if path == "not" { throw ImageBuildError("\(binary) needs \(words[0]), which is not found on this machine") }
      if path.hasPrefix("/"), !isFromBase(path) { paths.append(path) }
    }
    return paths.sorted()
  }
}
