import BerthKit
import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing
import Yams

@testable import BerthTargetKubernetes

/// The pure renderer: object shapes, AKS defaults, quantities, and validity against the published schemas.
@Suite struct RendererTests {
  static let variants: [(String, [String: FieldValue])] = [
    ("defaults", [:]),
    ("fixed-replicas", ["num_replicas": .int(3), "cpu_cores": .double(1.5), "memory_gb": .double(0.5), "port": .int(8080)]),
    (
      "autoscale",
      [
        "autoscale_enabled": .bool(true), "autoscale_min_replicas": .int(2), "autoscale_max_replicas": .int(6),
        "autoscale_target_utilization": .int(55), "gpu_cores": .int(1), "worker_count": .int(4),
        "liveness_probe.initial_delay_seconds": .int(30), "liveness_probe.failure_threshold": .int(5),
        "environment_variables.MODEL_FLAVOUR": .string("fast"),
      ]
    ),
  ]

  @Test func defaultsFollowTheAKSDeployConfiguration() {
    let settings = KubernetesSettings([:])
    #expect(settings.isAutoscaled)
    #expect(settings.autoscaleMin == 1 && settings.autoscaleMax == 10 && settings.autoscaleTargetUtilization == 70)
    #expect(settings.cpuQuantity == "100m" && settings.memoryQuantity == "512Mi")
    #expect(settings.probe.initialDelaySeconds == 310 && settings.probe.periodSeconds == 10)
    #expect(settings.probe.timeoutSeconds == 2 && settings.probe.failureThreshold == 3)
    #expect(settings.scoringTimeoutMs == 60_000 && settings.servicePort == 80)
  }

  @Test func numReplicasTurnsAutoscalingOffUnlessItIsExplicitlyOn() {
    #expect(KubernetesSettings(["num_replicas": .int(3)]).replicas == 3)
    #expect(KubernetesSettings(["autoscale_enabled": .bool(false)]).replicas == 1)
    #expect(KubernetesSettings(["autoscale_enabled": .bool(true)]).replicas == nil)
  }

  @Test(arguments: [(0.5, "500m"), (1.0, "1"), (2.25, "2250m"), (0.001, "1m")])
  func cpuQuantities(_ cores: Double, _ expected: String) {
    #expect(KubernetesSettings(["cpu_cores": .double(cores)]).cpuQuantity == expected)
  }

  @Test(arguments: [(0.5, "512Mi"), (1.0, "1Gi"), (1.5, "1536Mi"), (16.0, "16Gi")])
  func memoryQuantities(_ gigabytes: Double, _ expected: String) {
    #expect(KubernetesSettings(["memory_gb": .double(gigabytes)]).memoryQuantity == expected)
  }

  @Test func autoscaledServicesGetAnHPAAndNoReplicaCount() {
    let objects = KubernetesRenderer.render(Samples.deployment(), image: .built(Samples.image), namespace: "ml-prod")
    #expect(
      objects.map { $0["kind"]?.stringValue } == ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"])
    #expect(objects[0].value(at: "spec.replicas") == nil)
    #expect(objects[2].value(at: "spec.scaleTargetRef.name") == .string("iris-aks"))
  }

  @Test func fixedReplicasHaveNoHPA() {
    let objects = KubernetesRenderer.render(
      Samples.deployment(settings: ["num_replicas": .int(3)]), image: .built(Samples.image), namespace: "ml-prod")
    #expect(objects.map { $0["kind"]?.stringValue } == ["Deployment", "Service", "PodDisruptionBudget"])
    #expect(objects[0].value(at: "spec.replicas") == .int(3))
  }

  @Test func deploymentRunsTheImageByDigestWithEnvironmentProbesAndResources() throws {
    let deployment = Samples.deployment(settings: ["scoring_timeout_ms": .int(5000), "worker_count": .int(2)])
    let objects = KubernetesRenderer.render(
      deployment, image: .built(Samples.image), namespace: "ml-prod", pullSecret: "berth-pull-x")
    let container = try #require(objects[0].value(at: "spec.template.spec.containers[0]"))
    #expect(container["image"] == .string(Samples.image.reference))
    let env = Dictionary(
      uniqueKeysWithValues: (container["env"]?.arrayValue ?? []).map { ($0["name"]!.stringValue!, $0["value"]!.stringValue!) })
    #expect(env["WORKER_COUNT"] == "2" && env["SCORING_TIMEOUT_MS"] == "5000" && env["LOG_LEVEL"] == "info")
    #expect(env["SERVICE_VERSION"] == deployment.revision)
    #expect(container.value(at: "livenessProbe.httpGet.path") == .string("/"))
    #expect(container.value(at: "readinessProbe.httpGet.port") == .string("http"))
    #expect(container.value(at: "resources.requests") == container.value(at: "resources.limits"))
    #expect(objects[0].value(at: "spec.template.spec.imagePullSecrets[0].name") == .string("berth-pull-x"))
    #expect(objects[0].value(at: "metadata.labels[app.kubernetes.io/managed-by]") == .string("berth"))
    #expect(objects[0].value(at: "metadata.annotations[berth.dev/image-digest]") == .string(Samples.image.digest))
  }

  @Test func placeholderImageIsMarked() {
    let objects = KubernetesRenderer.render(Samples.deployment(image: nil), image: .placeholder, namespace: "ml-prod")
    #expect(objects[0].value(at: "spec.template.spec.containers[0].image") == .string(RenderedImage.placeholderReference))
    #expect(objects[0].value(at: "metadata.annotations[berth.dev/image]") == .string("placeholder"))
  }

  @Test func yamlOutputReadsBackAsTheSameObjects() throws {
    for (_, settings) in Self.variants {
      let objects = KubernetesRenderer.render(
        Samples.deployment(settings: settings), image: .built(Samples.image), namespace: "ml-prod")
      let fromYAML = try Yams.load_all(yaml: ObjectOutput.yaml(objects)).map {
        try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])
      }
      let fromJSON = try objects.map {
        try JSONSerialization.data(
          withJSONObject: JSONSerialization.jsonObject(with: Data(ObjectOutput.json($0).utf8)), options: [.sortedKeys])
      }
      #expect(fromYAML == fromJSON)
    }
  }

  @Test func awkwardStringsAreQuotedInYAML() throws {
    let value: JSONValue = .obj(["a": "true", "b": "5000", "c": "x: y", "d": "", "e": "sha256:ab", "f": "#x", "g": "0x1F"])
    let loaded = try #require(try Yams.load(yaml: ObjectOutput.yaml(value)) as? [String: String])
    #expect(loaded == ["a": "true", "b": "5000", "c": "x: y", "d": "", "e": "sha256:ab", "f": "#x", "g": "0x1F"])
  }

  @Test(arguments: variants.map(\.0))
  func renderedObjectsPassStrictValidationFor130AndTheNewestBundledVersion(_ variant: String) async throws {
    let settings = Self.variants.first { $0.0 == variant }!.1
    var objects = ProvisionObjects.render(namespace: "ml-prod", computeTargetName: "aks-prod")
    let credentialed = ContainerImage(
      reference: Samples.image.reference, digest: Samples.image.digest, registry: "127.0.0.1:5000", usernameEnv: "U",
      passwordEnv: "P")
    objects.append(
      try #require(try PullSecret.object(for: credentialed, namespace: "ml-prod", environment: ["U": "u", "P": "p"])))
    objects += KubernetesRenderer.render(
      Samples.deployment(settings: settings), image: .built(Samples.image), namespace: "ml-prod",
      pullSecret: PullSecret.name(forRegistry: "127.0.0.1:5000"))
    let yaml = ObjectOutput.yaml(objects)
    for version in ["1.30.0", try await Samples.newestBundledVersion()] {
      let failure = try await Samples.kubernetesValidate(yaml, version: version)
      #expect(failure == nil, "\(variant) against \(version): \(failure ?? "")")
    }
  }

  @Test func pullSecretNamesAreValidAndCarryTheCredentialsOnlyInData() throws {
    #expect(PullSecret.name(forRegistry: "MyRegistry.azurecr.io") == "berth-pull-myregistry-azurecr-io")
    #expect(PullSecret.name(forRegistry: "127.0.0.1:5000") == "berth-pull-127-0-0-1-5000")
    let image = ContainerImage(reference: "r/x@sha256:1", digest: "sha256:1", registry: "r", usernameEnv: "U", passwordEnv: "P")
    #expect(throws: KubernetesError.self) { try PullSecret.object(for: image, namespace: "n", environment: [:]) }
    let secret = try #require(try PullSecret.object(for: image, namespace: "n", environment: ["U": "user", "P": "s3cret"]))
    #expect(!ObjectOutput.json(secret).contains("s3cret"), "credentials only base64 in data")
  }
}

/// `berth render` of each example with kubernetes services: golden YAML, and valid against the schemas.
@Suite struct ExampleRenderTests {
  static let examples = ["iris-aks"]

  /// A copy of an example, so that rendering (which opens the state) leaves the repository alone.
  static func copy(_ example: String) throws -> URL {
    let destination = FileManager.default.temporaryDirectory.appendingPathComponent("berth-render-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: RepositoryPaths.examples.appendingPathComponent(example), to: destination)
    try? FileManager.default.removeItem(at: destination.appendingPathComponent(".berth"))
    return destination
  }

  @Test(arguments: examples)
  func renderMatchesGoldenYAMLAndValidates(_ example: String) async throws {
    let folder = try Self.copy(example)
    defer { try? FileManager.default.removeItem(at: folder) }
    let rendered = try await Reconciler.standard().render(path: folder.path, service: example)
    let mismatch = SnapshotFile.mismatch(rendered.yaml, file: Samples.snapshots.appendingPathComponent("\(example).yaml"))
    #expect(mismatch == nil, "\(mismatch ?? "")")
    for version in ["1.30.0", try await Samples.newestBundledVersion()] {
      let failure = try await Samples.kubernetesValidate(rendered.yaml, version: version)
      #expect(failure == nil, "\(example) against \(version): \(failure ?? "")")
    }
  }

  @Test func authEnabledOnAKubernetesServiceIsHonouredWithoutAWarning() throws {
    let folder = try Self.copy("iris-aks")
    defer { try? FileManager.default.removeItem(at: folder) }
    let manifest = folder.appendingPathComponent("berth.yaml")
    let text = try String(contentsOf: manifest, encoding: .utf8)
    try text.replacingOccurrences(of: "    worker_count: 2\n", with: "    worker_count: 2\n    auth_enabled: true\n")
      .write(to: manifest, atomically: true, encoding: .utf8)
    let validation = Validation.run(path: folder.path, displayPath: "iris-aks")
    #expect(validation.isValid)
    let rendered = validation.diagnostics.map(\.description)
    // The service gets a gateway of its own in the cluster (KubernetesEndpointTests), so nothing to warn about.
    #expect(!rendered.contains { $0.contains("'auth_enabled'") }, "\(rendered)")
  }

  @Test func renderUsesTheImageGivenAndRefusesOtherTargets() async throws {
    let folder = try Self.copy("iris-aks")
    defer { try? FileManager.default.removeItem(at: folder) }
    let rendered = try await Reconciler.standard().render(
      path: folder.path, service: "iris-aks", imageReference: "reg.example/iris@sha256:01")
    #expect(rendered.objects[0].value(at: "spec.template.spec.containers[0].image") == .string("reg.example/iris@sha256:01"))
    #expect(rendered.yaml.hasPrefix("# Rendered by berth; image: reg.example/iris@sha256:01 (--image)\n"))
    let local = try Self.copy("diabetes")
    defer { try? FileManager.default.removeItem(at: local) }
    await #expect(throws: RenderError.self) {
      _ = try await Reconciler.standard().render(path: local.path, service: "diabetes-local")
    }
  }
}
