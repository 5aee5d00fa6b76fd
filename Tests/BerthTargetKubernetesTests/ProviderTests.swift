import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

@testable import BerthTargetKubernetes

/// The provider end to end against the API server double: provision, deploy, observe, drift, failure, prune, delete.
@Suite(.serialized) struct ProviderTests {
  static let fast = KubernetesTimings(pollInterval: .milliseconds(20), rolloutSlack: .seconds(5), deleteTimeout: .seconds(10))

  static func provider(_ environment: [String: String] = [:]) -> KubernetesTargetProvider {
    KubernetesTargetProvider(environment: ["BERTH_TEST_TOKEN": "t0ken"].merging(environment) { $1 }, timings: fast)
  }

  /// A double with the namespace provisioned, and the provider and settings that reach it.
  static func provisioned(token: String? = "t0ken") async throws -> (KubeDouble, KubernetesTargetProvider, [String: FieldValue]) {
    let double = try await KubeDouble(token: token)
    let provider = provider()
    let settings = double.settings()
    _ = try await provider.apply(
      ApplyRequest(operation: .provision(name: "aks-prod", ComputeTargetSpec(type: .kubernetes, settings: settings))))
    return (double, provider, settings)
  }

  static func observe(_ provider: KubernetesTargetProvider, _ settings: [String: FieldValue], _ services: [String: Attributes])
    async throws -> ObserveResponse
  {
    try await provider.observe(
      ObserveRequest(
        computeTargetName: "aks-prod", computeTarget: ComputeTargetSpec(type: .kubernetes, settings: settings),
        services: services.keys.sorted().map { ObservedService(name: $0, recordedOutputs: services[$0]!) }))
  }

  @Test func validateWarnsWhenTheClusterCannotBeReachedFromHere() {
    let service = Resource(
      address: ResourceAddress(.service, "iris-aks"),
      spec: .service(ServiceSpec(computeTarget: "aks-prod", models: [ModelReference(name: "m")], inferenceConfig: "c")),
      location: SourceLocation(file: "berth.yaml", line: 50, column: 1),
      fieldLocations: ["compute_target": SourceLocation(file: "berth.yaml", line: 54, column: 19)], baseDirectory: "/")
    let target = ComputeTargetSpec(
      type: .kubernetes, settings: ["api_server": .string("https://x"), "token_env": .string("MISSING_TOKEN")])
    let diagnostics = Self.provider().validate(ValidateRequest(service: service, computeTarget: target))
    #expect(
      diagnostics.map(\.description) == [
        "berth.yaml:54:19: warning: cannot connect to compute target of service 'iris-aks': environment variable MISSING_TOKEN (token_env) is not set or empty"
      ])
    #expect(
      Self.provider().validate(
        ValidateRequest(
          service: service,
          computeTarget: ComputeTargetSpec(
            type: .kubernetes, settings: ["api_server": .string("https://x"), "token_env": .string("BERTH_TEST_TOKEN")]))
      ).isEmpty)
  }

  @Test func provisionCreatesTheNamespaceAndServiceAccount() async throws {
    let (double, _, _) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }
    #expect(try await client.get(.namespace, "ml-prod", namespace: nil) != nil)
    #expect(try await client.get(.serviceAccount, "berth-scoring", namespace: "ml-prod") != nil)
  }

  @Test func deployAppliesWaitsForTheRolloutAndRecordsManagedFields() async throws {
    let (double, provider, settings) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    let lines = LinesCollector()
    let response = try await provider.apply(
      ApplyRequest(operation: .deploy(Samples.deployment(target: settings)), progress: { lines.add($0) }))
    #expect(response.outputs["revision"] == .string("rev000000001"))
    #expect(response.outputs["scoring_uri"] == .string("http://iris-aks.ml-prod.svc.cluster.local/score"))
    #expect(response.outputs["managed.HorizontalPodAutoscaler.spec.maxReplicas"] == .int(10))
    #expect(response.outputs["target.token_env"] == .string("BERTH_TEST_TOKEN"))
    #expect(!response.outputs.values.contains(.string("t0ken")), "the token is never recorded")
    #expect(lines.all.contains { $0.hasPrefix("rollout: waiting for the controller") })
    #expect(response.message.contains("rolled out"))

    let observed = try await Self.observe(provider, settings, ["iris-aks": response.outputs])
    #expect(observed.services["iris-aks"]?.health == .healthy)
    #expect(observed.services["iris-aks"]?.revision == "rev000000001")
  }

  @Test func deployWithoutAnImageSaysWhy() async throws {
    let (double, provider, settings) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    await #expect(throws: TargetError.self) {
      _ = try await provider.apply(ApplyRequest(operation: .deploy(Samples.deployment(image: nil, target: settings))))
    }
  }

  @Test func registryCredentialsBecomeAPullSecretTheDeploymentNames() async throws {
    let (double, _, settings) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    let provider = Self.provider(["REG_USER": "robot", "REG_PASS": "hunter2"])
    let image = ContainerImage(
      reference: Samples.image.reference, digest: Samples.image.digest, registry: "registry.example.com",
      usernameEnv: "REG_USER", passwordEnv: "REG_PASS")
    let response = try await provider.apply(
      ApplyRequest(operation: .deploy(Samples.deployment(image: image, target: settings))))
    #expect(!response.outputs.values.contains { $0.description.contains("hunter2") })
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }
    let secret = try #require(try await client.get(.secret, "berth-pull-registry-example-com", namespace: "ml-prod"))
    #expect(secret["type"] == .string("kubernetes.io/dockerconfigjson"))
    let deployment = try await client.get(.deployment, "iris-aks", namespace: "ml-prod")
    #expect(deployment?.value(at: "spec.template.spec.imagePullSecrets[0].name") == .string("berth-pull-registry-example-com"))
  }

  @Test func aFailedRolloutReportsEventsAndTheLogTail() async throws {
    let (double, provider, settings) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    try await double.failRollouts(["ml-prod/iris-aks"])
    do {
      _ = try await provider.apply(ApplyRequest(operation: .deploy(Samples.deployment(target: settings))))
      Issue.record("expected the rollout to fail")
    } catch let error as TargetError {
      #expect(error.message.contains("exceeded its progress deadline"))
      #expect(error.message.contains("Warning BackOff Pod/iris-aks-"))
      #expect(error.logTail.last?.hasSuffix("Worker failed to boot.") == true)
      #expect(error.logTail.contains { $0.contains("FileNotFoundError") })
    }
  }

  @Test func driftInManagedFieldsIsDegradedAndOtherFieldsAreIgnored() async throws {
    let (double, provider, settings) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    let response = try await provider.apply(ApplyRequest(operation: .deploy(Samples.deployment(target: settings))))
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }
    // Someone adds an annotation to the Service: not a field Berth manages, no drift.
    var service = try #require(try await client.get(.service, "iris-aks", namespace: "ml-prod"))
    var metadata = service["metadata"]!
    metadata.set("annotations", .obj(["note": "hand edit"]))
    service.set("metadata", metadata)
    service.set("status", .null)
    try await client.apply(Self.stripped(service), fieldManager: "kubectl")
    #expect(try await Self.observe(provider, settings, ["iris-aks": response.outputs]).services["iris-aks"]?.health == .healthy)
    // Someone raises the autoscaler's maximum: drift.
    var hpa = try #require(try await client.get(.horizontalPodAutoscaler, "iris-aks", namespace: "ml-prod"))
    var spec = hpa["spec"]!
    spec.set("maxReplicas", 40)
    hpa.set("spec", spec)
    try await client.apply(Self.stripped(hpa), fieldManager: "kubectl")
    let drifted = try await Self.observe(provider, settings, ["iris-aks": response.outputs]).services["iris-aks"]
    #expect(drifted?.health == .degraded)
    #expect(drifted?.message == "changed outside Berth: HorizontalPodAutoscaler spec.maxReplicas: 10 → 40")
  }

  /// A live object without the fields the server sets, as a client would send it.
  static func stripped(_ object: JSONValue) -> JSONValue {
    guard case .object(let members) = object else { return object }
    var result = JSONValue.object(members.filter { $0.key != "status" })
    if case .object(let meta)? = object["metadata"] {
      let kept = ["name", "namespace", "labels", "annotations"]
      result.set("metadata", .object(meta.filter { kept.contains($0.key) }))
    }
    return result
  }

  @Test func switchingToFixedReplicasPrunesTheAutoscaler() async throws {
    let (double, provider, settings) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    let first = try await provider.apply(ApplyRequest(operation: .deploy(Samples.deployment(target: settings))))
    let second = try await provider.apply(
      ApplyRequest(
        operation: .update(
          Samples.deployment(settings: ["num_replicas": .int(2)], target: settings, revision: "rev000000002"),
          previous: first.outputs)))
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }
    #expect(try await client.get(.horizontalPodAutoscaler, "iris-aks", namespace: "ml-prod") == nil)
    #expect(
      second.outputs["objects"]
        == .list(["Deployment/iris-aks", "Service/iris-aks", "PodDisruptionBudget/iris-aks"].map(FieldValue.string)))
    let observed = try await Self.observe(provider, settings, ["iris-aks": second.outputs]).services["iris-aks"]
    #expect(observed?.health == .healthy && observed?.revision == "rev000000002")
  }

  @Test func deleteRemovesEveryObjectAndWaitsUntilGone() async throws {
    let (double, provider, settings) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    let deployed = try await provider.apply(ApplyRequest(operation: .deploy(Samples.deployment(target: settings))))
    _ = try await provider.apply(ApplyRequest(operation: .delete(name: "iris-aks", previous: deployed.outputs)))
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }
    for kind in KubeKind.serviceKinds {
      #expect(try await client.get(kind, "iris-aks", namespace: "ml-prod") == nil, "\(kind) still there")
    }
    let observed = try await Self.observe(provider, settings, ["iris-aks": deployed.outputs]).services["iris-aks"]
    #expect(observed?.health == .missing)
  }

  @Test func aRenamedServiceKeepsItsObjectsUnderItsInstanceName() async throws {
    let (double, provider, settings) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    let deployed = try await provider.apply(ApplyRequest(operation: .deploy(Samples.deployment(target: settings))))
    #expect(deployed.outputs["instance"] == .string("iris-aks"))

    // After `previous_names: [iris-aks]`, the service is `iris-api`; its objects keep their names.
    let observed = try await Self.observe(provider, settings, ["iris-api": deployed.outputs]).services["iris-api"]
    #expect(observed?.health == .healthy, "\(observed?.message ?? "")")
    var renamed = Samples.deployment(target: settings)
    renamed.name = "iris-api"
    renamed.instance = "iris-aks"
    renamed.revision = "rev000000002"
    let updated = try await provider.apply(
      ApplyRequest(operation: .update(renamed, previous: deployed.outputs.merging(["instance": .string("iris-aks")]) { $1 })))
    #expect(updated.outputs["instance"] == .string("iris-aks"))
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }
    let object = try #require(try await client.get(.deployment, "iris-aks", namespace: "ml-prod"))
    #expect(object["metadata"]?["labels"]?["berth.dev/service"]?.stringValue == "iris-api")
    #expect(try await client.get(.deployment, "iris-api", namespace: "ml-prod") == nil)

    _ = try await provider.apply(ApplyRequest(operation: .delete(name: "iris-api", previous: updated.outputs)))
    #expect(try await client.get(.deployment, "iris-aks", namespace: "ml-prod") == nil)
  }

  @Test func logsAreReadFromEveryPodOfTheService() async throws {
    let (double, provider, settings) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    let deployed = try await provider.apply(ApplyRequest(operation: .deploy(Samples.deployment(target: settings))))
    let lines = try await provider.logs(
      LogRequest(
        computeTarget: ComputeTargetSpec(type: .kubernetes, settings: settings),
        service: ObservedService(name: "iris-aks", recordedOutputs: deployed.outputs), tail: 2))
    // The double's pods all print the same traceback; two lines from each pod, prefixed with the pod's name.
    let pods = Set(lines.map { String($0.prefix { $0 != " " }) })
    #expect(!pods.isEmpty && pods.allSatisfy { $0.hasPrefix("[iris-aks-") })
    #expect(lines.count == 2 * pods.count)
    #expect(lines.first?.hasSuffix("FileNotFoundError: model/iris-logreg.pkl") == true, "\(lines)")

    await #expect(throws: TargetError.self) {
      _ = try await provider.logs(
        LogRequest(
          computeTarget: ComputeTargetSpec(type: .kubernetes, settings: settings),
          service: ObservedService(name: "gone", recordedOutputs: [:]), tail: 5))
    }
  }

  @Test func anObservationIsEnoughToDeleteAnAdoptedService() async throws {
    // What `berth import` records is the observation: it must carry where the service runs.
    let (double, provider, settings) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    _ = try await provider.apply(ApplyRequest(operation: .deploy(Samples.deployment(target: settings))))
    let observed = try #require(
      try await Self.observe(provider, settings, ["adopted": ["instance": .string("iris-aks")]]).services["adopted"])
    #expect(observed.health == .healthy)
    #expect(observed.attributes["namespace"] == .string("ml-prod"))
    #expect(observed.attributes["target.api_server"] == settings["api_server"])
    _ = try await provider.apply(ApplyRequest(operation: .delete(name: "adopted", previous: observed.attributes)))
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }
    #expect(try await client.get(.deployment, "iris-aks", namespace: "ml-prod") == nil)
  }

  @Test func movingToAnotherNamespaceRemovesTheOldObjects() async throws {
    let (double, provider, settings) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    let deployed = try await provider.apply(ApplyRequest(operation: .deploy(Samples.deployment(target: settings))))
    var moved = settings
    moved["namespace"] = .string("ml-next")
    _ = try await provider.apply(
      ApplyRequest(operation: .provision(name: "aks-prod", ComputeTargetSpec(type: .kubernetes, settings: moved))))
    let updated = try await provider.apply(
      ApplyRequest(operation: .update(Samples.deployment(target: moved), previous: deployed.outputs)))
    #expect(updated.outputs["namespace"] == .string("ml-next"))
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }
    #expect(try await client.get(.deployment, "iris-aks", namespace: "ml-next") != nil)
    for kind in KubeKind.serviceKinds {
      #expect(try await client.get(kind, "iris-aks", namespace: "ml-prod") == nil, "\(kind) left in the old namespace")
    }
  }

  @Test func observingManyServicesMakesOneListCallPerKind() async throws {
    let (double, provider, settings) = try await Self.provisioned()
    defer { Task { await double.stop() } }
    var recorded: [String: Attributes] = [:]
    for index in 0..<5 {
      let name = "svc-\(index)"
      let response = try await provider.apply(ApplyRequest(operation: .deploy(Samples.deployment(name, target: settings))))
      recorded[name] = response.outputs
    }
    try await double.resetStats()
    let observed = try await Self.observe(provider, settings, recorded.merging(["never-deployed": [:]]) { $1 })
    #expect(observed.backendCalls == 4)
    let stats = try await double.stats()
    #expect(stats["total"] == 4)
    for plural in ["deployments", "services", "horizontalpodautoscalers", "poddisruptionbudgets"] {
      #expect(stats["GET \(plural) (list)"] == 1)
    }
    #expect(observed.services.values.filter { $0.health == .healthy }.count == 5)
    #expect(observed.services["never-deployed"]?.health == .missing)
  }

  @Test func kubectlSeesWhatBerthApplied() async throws {
    // kubectl sends no bearer token over plain HTTP, so this double accepts requests without one.
    let (double, provider, settings) = try await Self.provisioned(token: nil)
    defer { Task { await double.stop() } }
    _ = try await provider.apply(ApplyRequest(operation: .deploy(Samples.deployment(target: settings))))
    let kubectl = try ChildProcess(
      executable: "/usr/bin/env",
      arguments: [
        "kubectl", "--server", double.url, "get", "deployments,services,horizontalpodautoscalers,poddisruptionbudgets", "-n",
        "ml-prod",
        "-l", "app.kubernetes.io/managed-by=berth", "-o", "name",
      ])
    let lines = await kubectl.readLines()
    #expect(await kubectl.finish() == 0, "\(kubectl.errorText())")
    #expect(
      lines.sorted() == [
        "deployment.apps/iris-aks", "horizontalpodautoscaler.autoscaling/iris-aks", "poddisruptionbudget.policy/iris-aks",
        "service/iris-aks",
      ])
  }
}

/// Progress lines collected from a provider.
final class LinesCollector: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []

  func add(_ line: String) { lock.withLock { lines.append(line) } }
  var all: [String] { lock.withLock { lines } }
}
