import BerthModel
import BerthPythonSpec
import BerthTargetAPI
import Foundation
import Testing

@testable import BerthTargetLocal

/// The local target's pure parts and file layout, without starting servers.
@Suite struct LocalTargetUnitTests {
  static let one = DeployedModel(name: "ridge", version: 3, sha256: "a", storePath: "/store/a", basename: "ridge.pkl")
  static let two = DeployedModel(name: "scaler", version: 1, sha256: "b", storePath: "/store/b", basename: "scaler")

  @Test func modelDirectoryIsTheVersionFolderForOneModelAndTheRootForSeveral() {
    let root = "/rt/coef/revisions/r1/azureml-models"
    #expect(ModelLayout.modelDirectory(for: [], modelsRoot: root) == nil)
    #expect(ModelLayout.modelDirectory(for: [Self.one], modelsRoot: root) == root + "/ridge/3")
    #expect(ModelLayout.modelDirectory(for: [Self.one, Self.two], modelsRoot: root) == root)
  }

  @Test func modelVersionsAreLinkedToTheStore() throws {
    let folder = try Scratch.directory("berth-models")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    for (store, name) in [("a", "ridge.pkl"), ("b", "scaler")] {
      try FileManager.default.createDirectory(atPath: folder + "/store/\(store)", withIntermediateDirectories: true)
      try Scratch.write("bytes", to: folder + "/store/\(store)/\(name)")
    }
    var one = Self.one
    one.storePath = folder + "/store/a"
    var two = Self.two
    two.storePath = folder + "/store/b"
    try ModelLayout.link([one, two], into: folder + "/azureml-models")
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: folder + "/azureml-models/ridge/3") == one.storePath)
    #expect(FileManager.default.fileExists(atPath: folder + "/azureml-models/ridge/3/ridge.pkl"))
    #expect(FileManager.default.fileExists(atPath: folder + "/azureml-models/scaler/1/scaler"))

    var gone = Self.one
    gone.storePath = folder + "/store/missing"
    #expect(throws: TargetError.self) { try ModelLayout.link([gone], into: folder + "/other") }
  }

  @Test func settingsHaveDefaults() {
    let defaults = LocalDeploymentSettings([:])
    #expect(defaults.port == nil)
    #expect(defaults.workerCount == 1)
    #expect(defaults.waitTimeout == .seconds(120))
    #expect(defaults.scoringTimeoutMs == nil)
    let set = LocalDeploymentSettings([
      "port": .int(8890), "worker_count": .int(2), "wait_timeout": .int(30), "scoring_timeout_ms": .int(500),
    ])
    #expect(
      set
        == LocalDeploymentSettings([
          "port": .int(8890), "worker_count": .int(2), "wait_timeout": .double(30), "scoring_timeout_ms": .string("500"),
        ]))
    #expect(set.port == 8890 && set.workerCount == 2 && set.waitTimeout == .seconds(30) && set.scoringTimeoutMs == 500)
  }

  @Test func layoutKeepsEveryServiceAndRevisionInOneFolder() {
    let layout = ServiceLayout(runtimeDirectory: "/rt/", service: "diabetes")
    #expect(layout.root == "/rt/diabetes")
    #expect(layout.gateway.root == "/rt/diabetes/gateway")
    #expect(layout.gateway.ownerRoot == "/rt/diabetes", "the process scan finds the gateway by its service")
    #expect(layout.gateway.keysFile == "/rt/diabetes/gateway/keys.json")
    let revision = layout.revision("ab12cd34ef56")
    #expect(revision.root == "/rt/diabetes/revisions/ab12cd34ef56")
    #expect(revision.modelsRoot == revision.root + "/azureml-models")
    #expect(revision.controlDirectory == revision.root + "/run")
    #expect(ServiceLayout.safeName("../x y") == ".._x_y")
    #expect(ServiceLayout.safeName("..") == "_")
    let deep = ServiceLayout(runtimeDirectory: "/" + String(repeating: "d", count: 90), service: "s").revision("r")
    #expect(deep.controlDirectory.hasPrefix(NSTemporaryDirectory() + "berth-run-"), "socket paths stay under 108 bytes")
  }

  @Test func validationWarnsAboutPrivilegedAndTakenPorts() throws {
    typealias Facts = LocalValidation.PortFacts
    let at = SourceLocation(file: "services.yml", line: 9, column: 11)
    #expect(
      LocalValidation.diagnostics(Facts(port: 8890, isRoot: false, isOwnGateway: false, isFree: true), service: "s", at: at)
        .isEmpty
    )
    let privileged = LocalValidation.diagnostics(
      Facts(port: 80, isRoot: false, isOwnGateway: false, isFree: true), service: "s", at: at)
    #expect(
      privileged.map(\.description) == [
        "services.yml:9:11: warning: port 80 is below 1024: listening on it needs root (or CAP_NET_BIND_SERVICE) and Berth does not run as root\n  hint: choose a port of 1024 or above, e.g. 8890"
      ])
    // Without root, binding port 80 fails for lack of rights: that is the privileged warning only, not "in use".
    #expect(
      LocalValidation.diagnostics(Facts(port: 80, isRoot: false, isOwnGateway: false, isFree: false), service: "s", at: at)
        == privileged)
    #expect(
      LocalValidation.diagnostics(Facts(port: 80, isRoot: true, isOwnGateway: false, isFree: true), service: "s", at: at).isEmpty)
    let taken = LocalValidation.diagnostics(
      Facts(port: 8890, isRoot: false, isOwnGateway: false, isFree: false), service: "s", at: at)
    #expect(
      taken.map(\.message) == ["port 8890 is in use by another program on this machine; deploying 's' will fail until it is free"]
    )
    #expect(
      LocalValidation.diagnostics(Facts(port: 8890, isRoot: false, isOwnGateway: true, isFree: false), service: "s", at: at)
        .isEmpty
    )

    // Through the provider: a port held by another program.
    let holder = try FakeBackend(name: "holder")
    defer { holder.stop() }
    let provider = LocalTargetProvider(
      runtimeDirectory: "/nonexistent-runtime", environmentCache: "/nonexistent-cache", gatewayCommand: [])
    let service = Resource(
      address: ResourceAddress(.service, "coef"),
      spec: .service(
        ServiceSpec(computeTarget: "laptop", models: [], inferenceConfig: "cfg", deployment: ["port": .int(holder.port)])),
      location: at, fieldLocations: ["deployment.port": at], baseDirectory: "/")
    let diagnostics = provider.validate(ValidateRequest(service: service, computeTarget: ComputeTargetSpec(type: .local)))
    #expect(
      diagnostics.map(\.message) == [
        "port \(holder.port) is in use by another program on this machine; deploying 'coef' will fail until it is free"
      ])
  }

  @Test func environmentMessagesSayWhatHappened() {
    let interpreter = PythonInterpreter(path: "/usr/bin/python3", version: "3.11.7")
    let reused = PreparedEnvironment(
      environment: BuiltEnvironment(root: "/c/ab12cd34ef56aa", hash: "ab12cd34ef56aa", reused: true, duration: .zero),
      interpreter: interpreter, marker: nil)
    #expect(reused.message == "reused cached environment ab12cd34ef56…")
    #expect(
      reused.outputs == [
        "python_version": .string("3.11.7"), "environment_hash": .string("ab12cd34ef56aa"), "reused": .bool(true),
      ])
    let marker = EnvironmentMarker(
      hash: "ab", spec: PythonEnvironmentSpec(pythonVersion: nil, requirements: []), interpreterPath: "/usr/bin/python3",
      interpreterVersion: "3.11.7", platform: "linux-x86_64", installer: "uv 0.13.9",
      installedPackages: (1...57).map { "p\($0)==1" }, builtAt: Date(), buildSeconds: 4)
    let built = PreparedEnvironment(
      environment: BuiltEnvironment(root: "/c/ab", hash: "ab", reused: false, duration: .milliseconds(4200)),
      interpreter: interpreter, marker: marker)
    #expect(built.message == "built in 4.2 s (uv 0.13.9, 57 packages)")
  }

  @Test func environmentBuilderReusesTheSharedCache() async throws {
    _ = try await SharedEnvironment.built()
    let folder = try Scratch.directory("berth-envbuild")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Scratch.write("dependencies:\n  - pip:\n    - azureml-inference-server-http\n", to: folder + "/conda.yml")
    let response = try await LocalEnvironmentBuilder(cacheDirectory: SharedEnvironment.cacheDirectory)
      .build(EnvironmentBuildRequest(name: "env", condaFile: folder + "/conda.yml"))
    #expect(response.outputs["reused"] == .bool(true))
    #expect(response.message.hasPrefix("reused cached environment"))
    let hash = try SharedEnvironment.spec.contentHash(
      interpreterVersion: SharedEnvironment.interpreter().version, platform: PlatformIdentity.current)
    #expect(response.outputs["environment_hash"] == .string(hash))

    await #expect {
      _ = try await LocalEnvironmentBuilder(cacheDirectory: SharedEnvironment.cacheDirectory)
        .build(EnvironmentBuildRequest(name: "env", condaFile: folder + "/missing.yml"))
    } throws: { ($0 as? TargetError)?.message.contains("Cannot read conda file") == true }
  }
}

@Test func platformIdentityNamesTheOperatingSystem() {
  #expect(PlatformIdentity.current.hasPrefix("linux-") || PlatformIdentity.current.hasPrefix("darwin-"))
}
