import BerthImage
import BerthModel
import BerthTargetAPI
import BerthTargetLocal
import BerthTesting
import Foundation
import Testing

/// Paths, tools and the throwaway registries the image tests share.
enum ImageTests {
  static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
  static let registryScript = repositoryRoot + "/scripts/registry-test-server"
  static let baseImageScript = repositoryRoot + "/scripts/make-test-base-image"
  /// The environment cache the local target's tests use too: uv lives in it.
  static let environmentCache = NSTemporaryDirectory() + "berth-test-envcache"

  /// The registry, skopeo and umoci are installed (scripts/bootstrap installs them), and we can debootstrap (root).
  static var toolsAvailable: Bool {
    FileManager.default.isExecutableFile(atPath: "/usr/bin/docker-registry")
      && ["skopeo", "umoci", "debootstrap", "htpasswd", "ip"].allSatisfy { tool in
        ["/usr/bin/", "/usr/sbin/", "/sbin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + tool) }
      } && getuid() == 0
  }

  static let unavailable: Comment =
    "needs root and docker-registry, skopeo, umoci, debootstrap, htpasswd, openssl (scripts/bootstrap installs them)"

  /// A fresh scratch folder, removed when the test process exits (unpacked images are half a gigabyte).
  static func scratch(_ name: String) throws -> String {
    let path = NSTemporaryDirectory() + "berth-image-test-\(name)-\(getpid())-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    ScratchFolders.add(path)
    return path
  }

  /// An image builder with its own layer cache; uv comes from the shared environment cache.
  static func builder(cache: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> OCIImageBuilder {
    let uv = UVProvisioning(cacheDirectory: environmentCache)
    return OCIImageBuilder(
      cacheDirectory: cache, environment: environment,
      locateTools: {
        let found = try uv.locate()
        return (found.uv, found.python)
      })
  }

  /// A script that runs `"$@"` chrooted in its first argument (an unpacked rootfs) with /proc and /dev mounted; run it
  /// under `unshare --mount --pid --fork` so the mounts and processes stay the container's.
  static func writeChrootLauncher(to path: String) throws {
    try """
    #!/bin/sh
    set -e
    mount -t proc proc "$1/proc"
    mount --rbind /dev "$1/dev"
    root=$1
    shift
    exec chroot "$root" "$@"
    """.write(toFile: path, atomically: true, encoding: .utf8)
  }

  /// Runs a program to its end off the concurrency pool; returns its status, output and errors.
  static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws
    -> (status: Int32, output: String, errors: String)
  {
    let result = try await runToEnd(executable, arguments, environment: environment)
    return (result.status, result.output, result.errors)
  }

  /// Runs a tool that must succeed; returns its standard output.
  @discardableResult
  static func tool(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> String {
    let result = try await run(executable, arguments, environment: environment)
    guard result.status == 0 else {
      throw ChildFailure(message: "\(executable) \(arguments.joined(separator: " ")) exited \(result.status): \(result.errors)")
    }
    return result.output
  }
}

/// Folders the tests made, removed at exit.
enum ScratchFolders {
  nonisolated(unsafe) private static var paths: [String] = []
  private static let lock = NSLock()

  static func add(_ path: String) {
    lock.withLock {
      if paths.isEmpty {
        atexit {
          for path in ScratchFolders.lock.withLock({ ScratchFolders.paths }) {
            try? FileManager.default.removeItem(atPath: path)
          }
        }
      }
      paths.append(path)
    }
  }
}

/// A docker-registry started by `scripts/registry-test-server`, stopped when the test process exits.
struct TestRegistry: Sendable {
  var address: String
  var folder: String
  var credentials: RegistryCredentials?

  /// One anonymous registry per test process.
  static func anonymous() async throws -> TestRegistry { try await anonymousTask.value }
  /// One registry requiring basic auth per test process.
  static func authenticated() async throws -> TestRegistry { try await authenticatedTask.value }

  /// One registry behind the docker Bearer token flow (scripts/registry-token-server) per test process.
  static func tokenAuthenticated() async throws -> TestRegistry { try await tokenTask.value }

  private static let anonymousTask = Task { try await start(credentials: nil) }
  private static let authenticatedTask = Task {
    try await start(credentials: RegistryCredentials(username: "berth", password: "pw-" + UUID().uuidString.prefix(12)))
  }
  private static let tokenTask = Task {
    try await start(
      credentials: RegistryCredentials(username: "berth", password: "tk-" + UUID().uuidString.prefix(12)), mode: "token")
  }

  nonisolated(unsafe) private static var folders: [String] = []
  private static let lock = NSLock()

  static func start(credentials: RegistryCredentials?, mode: String = "basic") async throws -> TestRegistry {
    let folder = NSTemporaryDirectory() + "berth-registry-test-\(getpid())-\(UUID().uuidString.prefix(8))"
    var environment = ProcessInfo.processInfo.environment
    environment["BERTH_REGISTRY_OWNER_PID"] = String(getpid())  // the script's watcher stops it if we are killed
    var arguments = ["start", folder]
    if let credentials { arguments += [credentials.username, credentials.password, mode] }
    let output = try await ImageTests.tool(ImageTests.registryScript, arguments, environment: environment)
    guard let address = output.split(separator: "\n").last.map(String.init) else {
      throw ChildFailure(message: "registry-test-server printed no address")
    }
    lock.withLock {
      if folders.isEmpty {
        atexit {
          for folder in TestRegistry.folders {
            let stop = Process()
            stop.executableURL = URL(fileURLWithPath: ImageTests.registryScript)
            stop.arguments = ["stop", folder]
            try? stop.run()
            stop.waitUntilExit()
          }
        }
      }
      folders.append(folder)
    }
    return TestRegistry(address: address, folder: folder, credentials: credentials)
  }

  /// The Workspace registry value for this registry; credentials by the variables `BERTH_TEST_REGISTRY_USER/PASSWORD`.
  var reference: RegistryReference {
    credentials == nil
      ? RegistryReference(address: address, insecure: true)
      : RegistryReference(
        address: address, usernameEnv: "BERTH_TEST_REGISTRY_USER", passwordEnv: "BERTH_TEST_REGISTRY_PASSWORD", insecure: true)
  }

  /// The process environment plus this registry's credentials.
  var environment: [String: String] {
    var environment = ProcessInfo.processInfo.environment
    if let credentials {
      environment["BERTH_TEST_REGISTRY_USER"] = credentials.username
      environment["BERTH_TEST_REGISTRY_PASSWORD"] = credentials.password
    }
    return environment
  }

  /// Pushes the test base image (`scripts/make-test-base-image`, made once per machine) into this registry.
  func pushBaseImage(repository: String = "base/python", tag: String = "bookworm") async throws -> String {
    var environment = ProcessInfo.processInfo.environment
    if let credentials { environment["BERTH_TEST_DEST_CREDS"] = "\(credentials.username):\(credentials.password)" }
    try await ImageTests.tool(
      ImageTests.baseImageScript, ["push", "docker://\(address)/\(repository):\(tag)"], environment: environment)
    return "\(address)/\(repository):\(tag)"
  }

  /// `skopeo` arguments for this registry (plain HTTP, credentials when needed).
  func skopeoOptions(_ direction: String = "") -> [String] {
    var options = ["--\(direction)tls-verify=false"]
    if let credentials { options += ["--\(direction)creds", "\(credentials.username):\(credentials.password)"] }
    return options
  }
}

/// The diabetes example copied to a folder of its own, as a `ServiceDeployment` an image build takes.
struct DiabetesCheckout {
  var root: String

  /// Copies `manifests/examples/diabetes` (source, conda file, model) to `folder`.
  static func make(in folder: String) throws -> DiabetesCheckout {
    let root = folder + "/diabetes"
    try FileManager.default.copyItem(atPath: ImageTests.repositoryRoot + "/manifests/examples/diabetes", toPath: root)
    try? FileManager.default.removeItem(atPath: root + "/.berth")
    return DiabetesCheckout(root: root)
  }

  var modelFile: String { root + "/model/diabetes-ridge.pkl" }

  func deployment(modelVersion: Int = 1) throws -> ServiceDeployment {
    let data = try Data(contentsOf: URL(fileURLWithPath: modelFile))
    let model = DeployedModel(
      name: "diabetes-ridge", version: modelVersion, sha256: Digest.encoded(Digest.sha256(data)),
      storePath: root + "/model", basename: "diabetes-ridge.pkl")
    return ServiceDeployment(
      name: "diabetes-aks", revision: "test", models: [model], sourceDirectory: root + "/src", entryScript: "score.py",
      condaFile: root + "/env/conda.yaml", environmentName: "sklearn-env", environmentDigest: "",
      settings: ["worker_count": .int(1)], computeTargetName: "aks", computeTarget: ComputeTargetSpec(type: .kubernetes))
  }
}
