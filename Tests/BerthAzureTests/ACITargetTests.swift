import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

@testable import BerthTargetACI

/// The `aci` target against the ARM double's container groups: the provider contract, the request body ACI gets
/// (golden, secrets only where ARM needs them), throttling, failed operations, an interrupted apply, a group
/// deleted or moved outside Berth.
@Suite(.serialized) struct ACITargetTests {
  @Test(arguments: ProviderConformance.allCases)
  func conformance(_ check: ProviderConformance) async throws {
    let double = try await ARMDouble(polls: 1)
    defer { Task { await double.stop() } }
    let settings = ACISamples.target(double)
    let subject = ProviderSubject(
      provider: ACISamples.provider(double), computeTargetName: "aci-dev",
      computeTarget: ComputeTargetSpec(type: .aci, settings: settings),
      deployment: { name, generation in
        ACISamples.deployment(
          name, target: settings, revision: "rev00000000\(generation)", image: ACISamples.image(String(generation)))
      },
      broken: { name in
        let image = ACISamples.image("d")
        try double.control("POST", "images", body: #"{"crashing": ["\#(image.reference)"]}"#)
        return (
          ACISamples.deployment(name, target: settings, revision: "rev0000000bad", image: image),
          cause: "RuntimeError: entry script failed in init()"
        )
      },
      injectDrift: { name, outputs in
        // The scoring container is killed (out of memory) outside Berth.
        let instance = ServiceInstance.name(service: name, outputs: outputs)
        try double.control("POST", "crash", body: #"{"path": "\#(ACISamples.path(instance))"}"#)
      })
    try await check.run(subject)
  }

  @Test func containerGroupBodyMatchesTheGoldenFileAndHidesThePassword() throws {
    let target = try ACITarget.resolve([
      "subscription_id": .string(ACISamples.subscription), "resource_group": .string("ml-dev"), "location": .string("westeurope"),
    ])
    let deployment = ACISamples.deployment(
      "risk", target: [:], revision: "rev000000001", image: ACISamples.image("a"),
      settings: [
        "cpu_cores": .double(1.5), "memory_gb": .int(2), "gpu_cores": .int(1), "port": .int(8080),
        "dns_name_label": .string("risk-scoring"), "environment_variables.MODE": .string("strict"),
      ])
    let settings = ACIServiceSettings(deployment.settings, instance: "risk", target: target)
    let body = ContainerGroupRenderer.body(
      deployment, image: deployment.image!, settings: settings,
      credential: .init(server: "mlregistry.azurecr.io", username: "mlregistry", password: ACISamples.registryPassword))
    let shown = ContainerGroupRenderer.redactedJSON(body)
    #expect(!shown.contains(ACISamples.registryPassword))
    #expect(SnapshotFile.mismatch(shown, file: ACISamples.snapshots.appendingPathComponent("container-group-risk.json")) == nil)
    #expect(settings.scoringURI == "http://risk-scoring.westeurope.azurecontainer.io:8080/score")
    // The password goes to ARM in the PUT, and only there.
    let credentials = (body["properties"] as? [String: Any])?["imageRegistryCredentials"] as? [[String: Any]]
    #expect(credentials?.first?["password"] as? String == ACISamples.registryPassword)
  }

  @Test func deployRecordsTheScoringURIAndNoSecret() async throws {
    let double = try await ARMDouble(polls: 1)
    defer { Task { await double.stop() } }
    let provider = ACISamples.provider(double)
    let settings = ACISamples.target(double)
    _ = try await provider.apply(
      ApplyRequest(operation: .provision(name: "aci-dev", ComputeTargetSpec(type: .aci, settings: settings))))
    let response = try await provider.apply(
      ApplyRequest(
        operation: .deploy(
          ACISamples.deployment("risk", target: settings, revision: "rev000000001", image: ACISamples.image("a")))))
    #expect(response.outputs["scoring_uri"] == .string("http://risk.westeurope.azurecontainer.io/score"))
    #expect(response.outputs["target.resource_group"] == .string("ml-dev"))
    #expect(!"\(response.outputs)".contains(ACISamples.registryPassword))
    #expect(!"\(response.outputs)".contains(ARMDouble.clientSecret))
    // What ACI was asked to run: the image by digest, the registry credential, the port on the public IP.
    let stored = try double.control("GET", "resource?path=\(ACISamples.path("risk"))")
    let properties = try #require(stored["properties"] as? [String: Any])
    let containers = try #require(properties["containers"] as? [[String: Any]])
    let scoring = try #require(containers.first?["properties"] as? [String: Any])
    #expect(scoring["image"] as? String == ACISamples.image("a").reference)
    #expect(
      (properties["imageRegistryCredentials"] as? [[String: Any]])?.first?["password"] as? String == ACISamples.registryPassword)
    // The resource group was created by provision (it did not exist).
    #expect(try double.stats()["arm PUT"] == 2)

    // Applying the same revision again changes nothing: one GET, no PUT.
    let again = try await provider.apply(
      ApplyRequest(
        operation: .update(
          ACISamples.deployment("risk", target: settings, revision: "rev000000001", image: ACISamples.image("a")),
          previous: response.outputs)))
    #expect(again.message == "container group unchanged")
    #expect(try double.stats()["aci put"] == 1)
  }

  @Test func inaccessibleImageAndFailedOperationCarryARMsCode() async throws {
    let double = try await ARMDouble(polls: 1)
    defer { Task { await double.stop() } }
    let provider = ACISamples.provider(double)
    let settings = ACISamples.target(double)
    let missing = ACISamples.image("e")
    let quota = ACISamples.image("f")
    try double.control(
      "POST", "images", body: #"{"inaccessible": ["\#(missing.reference)"], "failing": ["\#(quota.reference)"]}"#)
    await #expect {
      try await provider.apply(
        ApplyRequest(operation: .deploy(ACISamples.deployment("risk", target: settings, revision: "r1", image: missing))))
    } throws: { error in
      "\(error)".contains("InaccessibleImage") && !"\(error)".contains(ACISamples.registryPassword)
    }
    await #expect {
      try await provider.apply(
        ApplyRequest(operation: .deploy(ACISamples.deployment("risk", target: settings, revision: "r2", image: quota))))
    } throws: { error in
      "\(error)".contains("QuotaExceeded")
    }
    // The failed operation left a group in state Failed: observed degraded, never healthy.
    let observed = try await provider.observe(
      ObserveRequest(
        computeTargetName: "aci-dev", computeTarget: ComputeTargetSpec(type: .aci, settings: settings),
        services: [ObservedService(name: "risk", recordedOutputs: [:])]))
    #expect(observed.services["risk"]?.health == .degraded)
  }

  @Test func throttlingIsWaitedOutAndAnInterruptedApplyResumesWithoutASecondPut() async throws {
    let double = try await ARMDouble(polls: 100)
    defer { Task { await double.stop() } }
    let provider = ACITargetProvider(
      environment: double.environment.merging(["ACR_USER": "u", "ACR_PASSWORD": "p"]) { $1 },
      pollInterval: .milliseconds(25))
    let settings = ACISamples.target(double)
    let deployment = ACISamples.deployment(
      "risk", target: settings, revision: "rev000000001", image: ACISamples.image("a"), settings: ["wait_timeout": .int(60)])
    try double.inject(status: 429, count: 2, retryAfter: "0")
    // berth is stopped as soon as its PUT is accepted, while ARM is still creating the group (100 polls).
    let first = Task { try await provider.apply(ApplyRequest(operation: .deploy(deployment))) }
    let clock = ContinuousClock()
    let deadline = clock.now + .seconds(20)
    while (try double.stats()["aci put"] ?? 0) == 0, clock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
    first.cancel()
    _ = await first.result
    #expect(try double.stats()["fault 429"] == 2)
    #expect(try double.stats()["aci put"] == 1)
    // The next apply finds the group still being created by that PUT and waits for it.
    let resumed = try await provider.apply(ApplyRequest(operation: .deploy(deployment)))
    #expect(resumed.message == "resumed container group risk")
    #expect(try double.stats()["aci put"] == 1)
  }

  @Test func groupDeletedOrMovedOutsideBerthIsObservedAndRecreated() async throws {
    let double = try await ARMDouble(polls: 0)
    defer { Task { await double.stop() } }
    let provider = ACISamples.provider(double)
    let settings = ACISamples.target(double)
    let deployment = ACISamples.deployment("risk", target: settings, revision: "rev000000001", image: ACISamples.image("a"))
    let outputs = try await provider.apply(ApplyRequest(operation: .deploy(deployment))).outputs
    try double.control("POST", "remove", body: #"{"path": "\#(ACISamples.path("risk"))"}"#)
    let request = ObserveRequest(
      computeTargetName: "aci-dev", computeTarget: ComputeTargetSpec(type: .aci, settings: settings),
      services: [ObservedService(name: "risk", recordedOutputs: outputs)])
    #expect(try await provider.observe(request).services["risk"]?.health == .missing)
    let repaired = try await provider.apply(ApplyRequest(operation: .update(deployment, previous: outputs)))
    #expect(repaired.message == "created container group risk")
    #expect(try await provider.observe(request).services["risk"]?.health == .healthy)

    // A new region: ACI cannot move a group, so the old one is deleted first.
    let moved = ACISamples.deployment(
      "risk", target: ACISamples.target(double, location: "northeurope"), revision: "rev000000002",
      image: ACISamples.image("b"))
    let lines = ProgressLines()
    let response = try await provider.apply(
      ApplyRequest(operation: .update(moved, previous: repaired.outputs), progress: { lines.add($0) }))
    #expect(response.outputs["scoring_uri"] == .string("http://risk.northeurope.azurecontainer.io/score"))
    #expect(lines.all.contains { $0.hasPrefix("ACI cannot move a container group") })
    _ = try await provider.apply(ApplyRequest(operation: .delete(name: "risk", previous: response.outputs)))
    #expect(try await provider.observe(request).services["risk"]?.health == .missing)
  }

  @Test func authWithoutASecretToDeriveKeysFromIsAnErrorAtItsLine() {
    let provider = ACITargetProvider(environment: [:])
    func diagnostics(_ deployment: [String: FieldValue], target extra: [String: FieldValue] = [:]) -> [String] {
      let service = Resource(
        address: ResourceAddress(.service, "risk"),
        spec: .service(
          ServiceSpec(
            computeTarget: "aci-dev", models: [ModelReference(name: "diabetes")], inferenceConfig: "scoring",
            deployment: deployment)),
        location: SourceLocation(file: "berth.yaml", line: 3, column: 1), baseDirectory: "/repo")
      let settings: [String: FieldValue] = [
        "subscription_id": .string("s"), "resource_group": .string("g"), "location": .string("westeurope"),
      ].merging(extra) { $1 }
      return provider.validate(
        ValidateRequest(service: service, computeTarget: ComputeTargetSpec(type: .aci, settings: settings))
      )
      .map(\.message)
    }
    #expect(
      diagnostics(["auth_enabled": .bool(true)])
        == ["auth_enabled on aci needs 'auth_secret_env' on compute target 'aci-dev'"])
    #expect(diagnostics(["auth_enabled": .bool(true)], target: ["auth_secret_env": .string("ACI_AUTH_SECRET")]).isEmpty)
    #expect(
      diagnostics(["auth_enabled": .bool(true), "port": .int(5001)], target: ["auth_secret_env": .string("S")])
        == ["port 5001 is the scoring server's inside the container group; the gateway needs another"])
    #expect(diagnostics(["auth_enabled": .bool(false)]).isEmpty)
  }

  @Test func namesACIRefusesAreCaught() {
    #expect(ACINames.isGroupName("risk-v2"))
    #expect(!ACINames.isGroupName("Risk"))
    #expect(!ACINames.isGroupName("-risk"))
    #expect(!ACINames.isGroupName(String(repeating: "a", count: 64)))
    #expect(ACINames.isDNSLabel("risk-scoring"))
    #expect(!ACINames.isDNSLabel("9risk"))
    #expect(!ACINames.isDNSLabel("ab"))
    #expect(throws: TargetError.self) {
      try ACITarget.resolve(["subscription_id": .string("s"), "resource_group": .string("g")])
    }
    #expect(throws: TargetError.self) {
      try ACITarget.resolve([
        "subscription_id": .string("s"), "resource_group": .string("g"), "location": .string("l"),
        "resource_manager": .string("http://arm.example.com"),
      ])
    }
  }
}

/// Progress lines collected from an apply.
final class ProgressLines: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []

  func add(_ line: String) { lock.withLock { lines.append(line) } }
  var all: [String] { lock.withLock { lines } }
}
