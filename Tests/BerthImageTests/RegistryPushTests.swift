import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

@testable import BerthImage

/// The diabetes image built once per test process into the anonymous registry, for the tests that read it.
enum BuiltDiabetes {
  /// Layer cache shared by the tests that want warm layers.
  static let sharedCache: String = {
    let path = NSTemporaryDirectory() + "berth-image-test-cache-\(getpid())"
    ScratchFolders.add(path)
    return path
  }()

  struct Built: Sendable {
    var registry: TestRegistry
    var base: String
    var response: ImageBuildResponse
    var checkout: DiabetesCheckout
  }

  static func built() async throws -> Built { try await task.value }

  private static let task = Task<Built, any Error> {
    let registry = try await TestRegistry.anonymous()
    let base = try await registry.pushBaseImage()
    let checkout = try DiabetesCheckout.make(in: try ImageTests.scratch("checkout-a"))
    let response = try await ImageTests.builder(cache: sharedCache).buildAndPush(
      request(checkout.deployment(), base: base, registry: registry))
    return Built(registry: registry, base: base, response: response, checkout: checkout)
  }

  static func request(_ deployment: ServiceDeployment, base: String, registry: TestRegistry) -> ImageBuildRequest {
    ImageBuildRequest(
      deployment: deployment, baseImage: base, baseImageRegistry: nil, registry: registry.reference,
      repository: "berth/\(deployment.name)")
  }
}

@Suite(.serialized, .enabled(if: ImageTests.toolsAvailable, ImageTests.unavailable))
struct RegistryPushTests {
  @Test func skopeoAndUmociReadWhatWasPushed() async throws {
    let built = try await BuiltDiabetes.built()
    let registry = built.registry
    let reference = built.response.image.reference
    #expect(reference == "\(registry.address)/berth/diabetes-aks@\(built.response.image.digest)")
    #expect(built.response.outputs["image.digest"] == .string(built.response.image.digest))

    // skopeo: the manifest is OCI, the digest is ours, the config says how to run.
    let raw = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--raw"] + registry.skopeoOptions() + ["docker://\(reference)"])
    #expect(Digest.sha256(raw) == built.response.image.digest)
    let manifest = try JSONDecoder().decode(ImageManifest.self, from: Data(raw.utf8))
    #expect(manifest.mediaType == MediaType.ociManifest)
    #expect(manifest.layers.allSatisfy { $0.mediaType == MediaType.ociLayerGzip })
    let baseRaw = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--raw"] + registry.skopeoOptions() + ["docker://\(built.base)"])
    let baseLayers = try JSONDecoder().decode(ImageManifest.self, from: Data(baseRaw.utf8)).layers.map(\.digest)
    #expect(Array(manifest.layers.map(\.digest).prefix(baseLayers.count)) == baseLayers)
    #expect(manifest.layers.count == baseLayers.count + 3)  // dependencies, app, one model

    let configText = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--config"] + registry.skopeoOptions() + ["docker://\(reference)"])
    let config = try JSONDecoder().decode(ImageConfig.self, from: Data(configText.utf8))
    let run = try #require(config.config)
    #expect(run.entrypoint == ["/usr/local/bin/azmlinfsrv", "--entry_script", "/var/azureml-app/score.py", "--port", "5001"])
    #expect(run.env?.contains("AZUREML_MODEL_DIR=/var/azureml-app/azureml-models/diabetes-ridge/1") == true)
    #expect(run.env?.contains("AZUREML_ENTRY_SCRIPT=/var/azureml-app/score.py") == true)
    #expect(run.env?.contains("WORKER_COUNT=1") == true)
    #expect(run.env?.contains("PYTHONPATH=/opt/berth/python") == true)
    #expect(run.exposedPorts?.keys.sorted() == ["5001/tcp"])
    #expect(run.labels?["org.berth.model.diabetes-ridge"]?.hasPrefix("1 sha256:") == true)
    #expect(run.labels?["org.berth.source.digest"]?.hasPrefix("sha256:") == true)
    #expect(config.created == "1970-01-01T00:00:00Z")

    // umoci: the layers unpack into the documented layout.
    let rootfs = try await Unpacked.rootfs(of: reference, registry: registry)
    let model = try Data(
      contentsOf: URL(fileURLWithPath: rootfs + "/var/azureml-app/azureml-models/diabetes-ridge/1/diabetes-ridge.pkl"))
    #expect(model == (try Data(contentsOf: URL(fileURLWithPath: built.checkout.modelFile))))
    #expect(FileManager.default.fileExists(atPath: rootfs + "/var/azureml-app/score.py"))
    #expect(FileManager.default.isExecutableFile(atPath: rootfs + "/usr/local/bin/azmlinfsrv"))
    #expect(FileManager.default.fileExists(atPath: rootfs + "/opt/berth/python/azureml_inference_server_http/amlserver.py"))
    #expect(FileManager.default.fileExists(atPath: rootfs + "/opt/berth/python/sklearn"))
    #expect(!FileManager.default.fileExists(atPath: rootfs + "/opt/berth/python/bin"))
  }

  @Test func sameInputsFromAnotherCheckoutGiveTheSameDigestAndUploadNoLayerBytes() async throws {
    let built = try await BuiltDiabetes.built()
    let other = try DiabetesCheckout.make(in: try ImageTests.scratch("checkout-b"))
    let cache = try ImageTests.scratch("cache-b")
    defer { try? FileManager.default.removeItem(atPath: cache) }
    let request = BuiltDiabetes.request(try other.deployment(), base: built.base, registry: built.registry)
    // A cold cache of its own: every layer is made again, from other paths, and comes out byte for byte the same.
    let cold = try await ImageTests.builder(cache: cache).buildAndPush(request)
    #expect(cold.image.digest == built.response.image.digest)
    #expect(cold.layerBytesUploaded == 0)
    let warm = try await ImageTests.builder(cache: cache).buildAndPush(request)
    #expect(warm.image.digest == built.response.image.digest)
    #expect(warm.layerBytesUploaded == 0)
    #expect(warm.bytesUploaded < 2048, "only the manifest is sent again")
  }

  @Test func changingOnlyTheModelUploadsOnlyTheModelLayer() async throws {
    let built = try await BuiltDiabetes.built()
    let checkout = try DiabetesCheckout.make(in: try ImageTests.scratch("checkout-c"))
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: checkout.modelFile))
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("retrained".utf8))
    try handle.close()
    var lines: [String] = []
    let collected = LineCollector()
    var request = BuiltDiabetes.request(try checkout.deployment(modelVersion: 2), base: built.base, registry: built.registry)
    request.progress = { collected.append($0) }
    let response = try await ImageTests.builder(cache: BuiltDiabetes.sharedCache).buildAndPush(request)
    lines = collected.lines
    #expect(response.image.digest != built.response.image.digest)
    let raw = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--raw"] + built.registry.skopeoOptions() + ["docker://\(response.image.reference)"])
    let before = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--raw"] + built.registry.skopeoOptions() + ["docker://\(built.response.image.reference)"])
    let new = try JSONDecoder().decode(ImageManifest.self, from: Data(raw.utf8)).layers
    let old = try JSONDecoder().decode(ImageManifest.self, from: Data(before.utf8)).layers
    #expect(new.dropLast() == old.dropLast())
    #expect(new.last != old.last)
    #expect(response.layerBytesUploaded == new.last!.size)
    #expect(lines.contains("dependencies layer reused (\(OCIImageBuilder.size(new[new.count - 3].size)))"), "\(lines)")
    #expect(lines.contains { $0.hasPrefix("model diabetes-ridge:2 layer built") }, "\(lines)")
  }

  @Test func basicAuthUsesTheNamedVariablesAndRefusesWrongOnes() async throws {
    let registry = try await TestRegistry.authenticated()
    let base = try await registry.pushBaseImage()
    let checkout = try DiabetesCheckout.make(in: try ImageTests.scratch("checkout-auth"))
    let request = BuiltDiabetes.request(try checkout.deployment(), base: base, registry: registry)
    let response = try await ImageTests.builder(cache: BuiltDiabetes.sharedCache, environment: registry.environment)
      .buildAndPush(request)
    let inspected = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--raw"] + registry.skopeoOptions() + ["docker://\(response.image.reference)"])
    #expect(Digest.sha256(inspected) == response.image.digest)
    #expect(response.image.usernameEnv == "BERTH_TEST_REGISTRY_USER")

    var wrong = registry.environment
    wrong["BERTH_TEST_REGISTRY_PASSWORD"] = "not-the-password"
    do {
      _ = try await ImageTests.builder(cache: BuiltDiabetes.sharedCache, environment: wrong).buildAndPush(request)
      Issue.record("expected a 401")
    } catch let error as RegistryError {
      guard case .unauthorized(let host, _) = error else { throw error }
      #expect(host == registry.address)
      #expect(error.description.hasPrefix("registry \(registry.address) refused the credentials (401 Unauthorized)"))
      #expect(!error.description.contains("not-the-password"))
    }

    do {
      _ = try await ImageTests.builder(cache: BuiltDiabetes.sharedCache, environment: [:]).buildAndPush(request)
      Issue.record("expected a configuration error")
    } catch let error as RegistryError {
      #expect(
        error.description
          == "registry '\(registry.address)' takes its credentials from $BERTH_TEST_REGISTRY_USER and $BERTH_TEST_REGISTRY_PASSWORD, which are not set"
      )
    }
  }

  @Test func bearerTokenFlowPushesAndMountsAcrossRepositories() async throws {
    let registry = try await TestRegistry.tokenAuthenticated()
    let base = try await registry.pushBaseImage()
    let checkout = try DiabetesCheckout.make(in: try ImageTests.scratch("checkout-token"))
    let request = BuiltDiabetes.request(try checkout.deployment(), base: base, registry: registry)
    let collected = LineCollector()
    var withProgress = request
    withProgress.progress = { collected.append($0) }
    let response = try await ImageTests.builder(cache: BuiltDiabetes.sharedCache, environment: registry.environment)
      .buildAndPush(withProgress)
    let inspected = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--raw"] + registry.skopeoOptions() + ["docker://\(response.image.reference)"])
    #expect(Digest.sha256(inspected) == response.image.digest)
    // The base layers were mounted from base/python (scope pull on it, pull,push on berth/…), never copied.
    #expect(!collected.lines.contains { $0.hasPrefix("copying base layer") }, "\(collected.lines)")

    var wrong = registry.environment
    wrong["BERTH_TEST_REGISTRY_PASSWORD"] = "not-the-password"
    do {
      _ = try await ImageTests.builder(cache: BuiltDiabetes.sharedCache, environment: wrong).buildAndPush(request)
      Issue.record("expected a 401 from the token service")
    } catch let error as RegistryError {
      #expect(error == .unauthorized(host: registry.address, detail: "the token service rejected the credentials"))
    }
  }

  @Test func baseLayersFromAnotherRegistryAreCopiedOnce() async throws {
    let source = try await TestRegistry.anonymous()
    let base = try await source.pushBaseImage()
    let target = try await TestRegistry.start(
      credentials: RegistryCredentials(username: "copy", password: "pw-" + UUID().uuidString.prefix(8)))
    let checkout = try DiabetesCheckout.make(in: try ImageTests.scratch("checkout-copy"))
    var request = BuiltDiabetes.request(try checkout.deployment(), base: base, registry: target)
    request.baseImageRegistry = RegistryReference(address: source.address, insecure: true)
    let cache = try ImageTests.scratch("cache-copy")
    let first = LineCollector()
    request.progress = { first.append($0) }
    let response = try await ImageTests.builder(cache: cache, environment: target.environment).buildAndPush(request)
    #expect(first.lines.contains { $0.hasPrefix("copying base layer sha256:") && $0.hasSuffix("from \(source.address)") })
    // The target registry accepted the manifest, so it holds every blob; skopeo reads it back.
    let raw = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--raw"] + target.skopeoOptions() + ["docker://\(response.image.reference)"])
    let baseRaw = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--raw"] + source.skopeoOptions() + ["docker://\(base)"])
    let baseLayer = try #require(try JSONDecoder().decode(ImageManifest.self, from: Data(baseRaw.utf8)).layers.first)
    #expect(try JSONDecoder().decode(ImageManifest.self, from: Data(raw.utf8)).layers.first?.digest == baseLayer.digest)
    #expect(response.layerBytesUploaded > baseLayer.size)

    let second = LineCollector()
    request.progress = { second.append($0) }
    let again = try await ImageTests.builder(cache: cache, environment: target.environment).buildAndPush(request)
    #expect(again.layerBytesUploaded == 0)
    #expect(!second.lines.contains { $0.hasPrefix("copying base layer") })
  }

  @Test func registryErrorsSayWhatIsWrong() async throws {
    let registry = try await TestRegistry.anonymous()
    let client = RegistryClient(host: registry.address, insecure: true, credentials: nil)
    await #expect(throws: RegistryError.notFound("manifest base/missing:latest")) {
      _ = try await client.manifest("base/missing", reference: "latest")
    }
    let blob = Data("hello".utf8)
    await #expect(throws: RegistryError.digestInvalid("uploading \(Digest.sha256("other")) to scratch/errors")) {
      try await client.uploadBlob("scratch/errors", digest: Digest.sha256("other"), data: blob)
    }
    let unknown = Descriptor(mediaType: MediaType.ociLayerGzip, digest: Digest.sha256("never uploaded"), size: 14)
    try await client.uploadBlob("scratch/errors", digest: Digest.sha256("{}"), data: Data("{}".utf8))
    let manifest = ImageManifest(
      config: Descriptor(mediaType: MediaType.ociConfig, digest: Digest.sha256("{}"), size: 2), layers: [unknown])
    do {
      try await client.putManifest(
        "scratch/errors", reference: "t", data: try CanonicalJSON.encode(manifest), mediaType: MediaType.ociManifest)
      Issue.record("expected MANIFEST_BLOB_UNKNOWN")
    } catch let error as RegistryError {
      guard case .manifestBlobUnknown = error else { throw error }
      #expect(error.description.contains(unknown.digest))
    }
    #expect(try await client.hasBlob("scratch/errors", digest: Digest.sha256("{}")))
    #expect(try await !client.hasBlob("scratch/errors", digest: unknown.digest))
  }
}

/// Progress lines collected from a `@Sendable` callback.
final class LineCollector: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [String] = []

  func append(_ line: String) { lock.withLock { stored.append(line) } }
  var lines: [String] { lock.withLock { stored } }
}

/// Images unpacked by `skopeo copy` + `umoci unpack`, the independent clients.
enum Unpacked {
  /// The root filesystem of `reference`, unpacked into a scratch bundle.
  static func rootfs(of reference: String, registry: TestRegistry) async throws -> String {
    let folder = try ImageTests.scratch("unpack")
    try await ImageTests.tool(
      "/usr/bin/skopeo",
      ["copy", "--quiet"] + registry.skopeoOptions("src-") + ["docker://\(reference)", "oci:\(folder)/oci:image"])
    try await ImageTests.tool("/usr/bin/umoci", ["unpack", "--image", "\(folder)/oci:image", "\(folder)/bundle"])
    return folder + "/bundle/rootfs"
  }
}
