import BerthApply
import BerthKit
import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import BerthTargetLocal
import BerthTesting
import Foundation
import Testing

/// The whole container path with nothing faked but the cluster: the manifests' service is built into an image,
/// pushed to a real docker-registry, and rolled out by the real Kubernetes provider against the API server double
/// (Tests/BerthTargetKubernetesTests/Double/kube_double.py), reached through a kubeconfig.
@Suite(.serialized, .enabled(if: ImageTests.toolsAvailable, ImageTests.unavailable))
struct KubernetesFlowTests {
  static let doubleScript = ImageTests.repositoryRoot + "/Tests/BerthTargetKubernetesTests/Double/kube_double.py"

  /// The double's stored objects of `kind` in `namespace`, by name.
  static func objects(port: Int, kind: String, namespace: String) throws -> [String: [String: Any]] {
    let text = try LoopbackHTTPClient(timeout: .seconds(10)).get(port: port, path: "/_double/objects").text
    let all = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? []
    var result: [String: [String: Any]] = [:]
    for object in all where object["kind"] as? String == kind {
      let metadata = object["metadata"] as? [String: Any] ?? [:]
      if (metadata["namespace"] as? String ?? "") == namespace, let name = metadata["name"] as? String { result[name] = object }
    }
    return result
  }

  static func image(of deployment: [String: Any]?) -> String? {
    let spec = (deployment?["spec"] as? [String: Any])?["template"] as? [String: Any]
    let containers = (spec?["spec"] as? [String: Any])?["containers"] as? [[String: Any]]
    return containers?.first?["image"] as? String
  }

  @Test func applyBuildsPushesAndRollsOutThenUpdatesAndDestroys() async throws {
    let registry = try await TestRegistry.anonymous()
    let base = try await registry.pushBaseImage()
    let double = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3", Self.doubleScript])
    defer { double.signal() }
    let port = try #require(Int(try await double.line(startingWith: "LISTENING ").dropFirst("LISTENING ".count)))

    let scratch = try ImageTests.scratch("kube-flow")
    let folder = try ContainerServiceManifests.write(in: scratch, registry: registry, base: base)
    let kubeconfig = scratch + "/kubeconfig.yaml"
    try """
    apiVersion: v1
    kind: Config
    clusters: [{name: double, cluster: {server: "http://127.0.0.1:\(port)"}}]
    users: [{name: tester, user: {token: not-checked-by-the-double}}]
    contexts: [{name: double, context: {cluster: double, user: tester}}]
    current-context: double
    """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
    let manifest = folder + "/berth.yaml"
    let text = try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(
      of: "  type: kubernetes\n",
      with: "  type: kubernetes\n  kubeconfig: \(kubeconfig)\n  context: double\n  namespace: ml-test\n")
    try text.write(toFile: manifest, atomically: true, encoding: .utf8)

    let reconciler = Reconciler(
      targets: { Composition.targets(for: $0, gatewayCommand: []) }, openState: Composition.openState)
    func applyOnce(destroy: Bool = false) async throws -> (Plan, ExecutionSummary) {
      let (prepared, diagnostics) = try await reconciler.prepare(path: folder)
      let context = try #require(prepared, "\(diagnostics)")
      let plan = reconciler.plan(context, destroy: destroy)
      #expect(!plan.diagnostics.hasErrors, "\(plan.diagnostics)")
      return (plan, try await reconciler.apply(plan, context: context, parallelism: 4, events: { _ in }))
    }

    // First apply: provision the namespace, register, build + push, server-side apply, wait for the rollout.
    let (first, applied) = try await applyOnce()
    #expect(applied.isSuccess, "\(applied)")
    #expect(first.actions.contains { $0.address == ResourceAddress(.service, "diabetes-aks") && $0.kind == .deploy })
    let deployments = try Self.objects(port: port, kind: "Deployment", namespace: "ml-test")
    let reference = try #require(Self.image(of: deployments["diabetes-aks"]))
    #expect(reference.hasPrefix("\(registry.address)/berth/diabetes-aks@sha256:"), "by digest: \(reference)")
    #expect(try Self.objects(port: port, kind: "Namespace", namespace: "").keys.contains("ml-test"))
    // An independent client finds exactly that image in the registry.
    let inspected = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--raw"] + registry.skopeoOptions() + ["docker://\(reference)"])
    #expect(inspected.contains("application/vnd.oci.image.manifest.v1+json"))

    // `berth logs` of a container service: each pod's scoring container log, through the API.
    let logs = try await reconciler.serviceLogs(path: folder, service: "diabetes-aks", tail: 3)
    #expect(!logs.isEmpty && logs.allSatisfy { $0.hasPrefix("[diabetes-aks-") }, "\(logs)")

    // What runs matches the manifests: the next plan is empty (observed through one list call per kind).
    let (again, _) = try await reconciler.prepare(path: folder)
    #expect(try reconciler.plan(#require(again)).actions.isEmpty)

    // New model bytes: a new model version, a new image, the Deployment rolled to its digest.
    let model = folder + "/model/diabetes-ridge.pkl"
    try (try Data(contentsOf: URL(fileURLWithPath: model)) + Data("\n".utf8)).write(to: URL(fileURLWithPath: model))
    let (update, updated) = try await applyOnce()
    #expect(updated.isSuccess, "\(updated)")
    #expect(update.actions.map(\.kind) == [.register, .update])
    let newReference = try #require(
      Self.image(of: try Self.objects(port: port, kind: "Deployment", namespace: "ml-test")["diabetes-aks"]))
    #expect(newReference != reference)
    #expect(newReference.hasPrefix("\(registry.address)/berth/diabetes-aks@sha256:"))

    // Destroy removes every object of the service and waits until they are gone.
    let (_, destroyed) = try await applyOnce(destroy: true)
    #expect(destroyed.isSuccess, "\(destroyed)")
    for kind in ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"] {
      #expect(try Self.objects(port: port, kind: kind, namespace: "ml-test").isEmpty, "\(kind) left behind")
    }
  }

  @Test func applyBuildsTheGatewayImageAndPublishesTheEndpoint() async throws {
    let registry = try await TestRegistry.anonymous()
    let base = try await registry.pushBaseImage()
    let double = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3", Self.doubleScript])
    defer { double.signal() }
    let port = try #require(Int(try await double.line(startingWith: "LISTENING ").dropFirst("LISTENING ".count)))

    let scratch = try ImageTests.scratch("kube-endpoint")
    let folder = try ContainerServiceManifests.write(in: scratch, registry: registry, base: base)
    let kubeconfig = scratch + "/kubeconfig.yaml"
    try """
    apiVersion: v1
    kind: Config
    clusters: [{name: double, cluster: {server: "http://127.0.0.1:\(port)"}}]
    users: [{name: tester, user: {token: not-checked-by-the-double}}]
    contexts: [{name: double, context: {cluster: double, user: tester}}]
    current-context: double
    """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
    let manifest = folder + "/berth.yaml"
    // The service becomes the one deployment of an endpoint; no gateway_image: apply builds it on the test base.
    var text = try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(
      of: "  type: kubernetes\n",
      with:
        "  type: kubernetes\n  kubeconfig: \(kubeconfig)\n  context: double\n  namespace: ml-test\n  gateway_base_image: \(base)\n"
    )
    text = text.replacingOccurrences(of: "  compute_target: aks\n", with: "  compute_target: aks\n  endpoint: scoring\n")
    text += """
      ---
      apiVersion: berth/v1
      kind: Endpoint
      metadata:
        name: scoring
      spec:
        compute_target: aks
        traffic: {diabetes-aks: 100}

      """
    try text.write(toFile: manifest, atomically: true, encoding: .utf8)

    let reconciler = Reconciler(
      targets: { Composition.targets(for: $0, gatewayCommand: [], gatewayBinary: try? GatewayImageTests.berthBinary()) },
      openState: Composition.openState)
    func applyOnce(destroy: Bool = false) async throws -> (Plan, ExecutionSummary) {
      let (prepared, diagnostics) = try await reconciler.prepare(path: folder)
      let context = try #require(prepared, "\(diagnostics)")
      let plan = reconciler.plan(context, destroy: destroy)
      #expect(!plan.diagnostics.hasErrors, "\(plan.diagnostics)")
      return (plan, try await reconciler.apply(plan, context: context, parallelism: 4, events: { _ in }))
    }

    let (_, applied) = try await applyOnce()
    #expect(applied.isSuccess, "\(applied)")
    let deployments = try Self.objects(port: port, kind: "Deployment", namespace: "ml-test")
    let gatewayImage = try #require(Self.image(of: deployments["scoring-gateway"]), "\(deployments.keys)")
    #expect(gatewayImage.hasPrefix("\(registry.address)/berth/gateway@sha256:"), "by digest: \(gatewayImage)")
    let config = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--config"] + registry.skopeoOptions() + ["docker://\(gatewayImage)"])
    #expect(config.contains("/usr/local/bin/berth"))
    // The routes name the service's cluster address; its pods carry the label the NetworkPolicy selects.
    let routes = try #require(Self.objects(port: port, kind: "ConfigMap", namespace: "ml-test")["scoring-routes"])
    let table = (routes["data"] as? [String: String])?["gateway.json"] ?? ""
    #expect(table.contains("diabetes-aks.ml-test.svc.cluster.local:80"), "\(table)")
    #expect(try Self.objects(port: port, kind: "NetworkPolicy", namespace: "ml-test")["scoring-scoring"] != nil)
    #expect(try Self.objects(port: port, kind: "Secret", namespace: "ml-test")["scoring-keys"] != nil)

    // The CLI reads the keys from the Secret and rotates one there; state records only the new fingerprint.
    let berth = try GatewayImageTests.berthBinary()
    func secretKeys() throws -> [String: String] {
      let secret = try #require(Self.objects(port: port, kind: "Secret", namespace: "ml-test")["scoring-keys"])
      let encoded = try #require((secret["data"] as? [String: String])?["keys.json"])
      let json = try #require(Data(base64Encoded: encoded))
      return try #require(try JSONSerialization.jsonObject(with: json) as? [String: String])
    }
    let before = try secretKeys()
    let shown = try await ImageTests.tool(berth, ["endpoints", "get-credentials", "scoring", "--json", "--dir", folder])
    let credentials = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: String])
    #expect(credentials["primaryKey"] == before["primary_key"])
    #expect(credentials["secondaryKey"] == before["secondary_key"])
    let rotated = try await ImageTests.tool(
      berth, ["endpoints", "regenerate-keys", "scoring", "--key-type", "secondary", "--dir", folder])
    #expect(rotated.contains("Regenerated the secondary key of endpoint/scoring"), "\(rotated)")
    let after = try secretKeys()
    #expect(after["primary_key"] == before["primary_key"])
    #expect(after["secondary_key"] != before["secondary_key"])
    #expect(!rotated.contains(after["secondary_key"] ?? "-"), "the new key is printed nowhere")
    // The recorded fingerprint follows the rotation: drift sees nothing changed outside Berth.
    let drift = try await ImageTests.run(berth, ["drift", "--dir", folder])
    #expect(!drift.output.contains("key_fingerprint"), "\(drift.output)")

    // Destroy removes the endpoint's objects with the service's.
    let (_, destroyed) = try await applyOnce(destroy: true)
    #expect(destroyed.isSuccess, "\(destroyed)")
    for kind in ["Deployment", "Service", "ConfigMap", "NetworkPolicy", "PodDisruptionBudget"] {
      #expect(try Self.objects(port: port, kind: kind, namespace: "ml-test").isEmpty, "\(kind) left behind")
    }
    #expect(try Self.objects(port: port, kind: "Secret", namespace: "ml-test")["scoring-keys"] == nil)
  }
}
