import BerthModel
import BerthTargetAPI
import Foundation
import Testing

@testable import BerthTargetKubernetes

/// The kubeconfig of the cluster the real-cluster tests use, if any.
let realClusterKubeconfig = ProcessInfo.processInfo.environment["BERTH_KUBE_TEST_KUBECONFIG"]

/// The same calls against a real cluster, when `BERTH_KUBE_TEST_KUBECONFIG` names a kubeconfig; skipped otherwise.
///
/// `BERTH_KUBE_TEST_CONTEXT` picks a context (default: the current one). Each run works in a fresh namespace
/// `berth-test-<random>` and deletes it at the end. With `BERTH_KUBE_TEST_IMAGE` (an azmlinfsrv image that
/// answers `GET /` on port 5001, by digest) the test also deploys, observes and deletes a service.
@Suite(.serialized, .enabled(if: realClusterKubeconfig != nil, "set BERTH_KUBE_TEST_KUBECONFIG to run against a cluster"))
struct RealClusterTests {
  static let environment = ProcessInfo.processInfo.environment
  static let kubeconfig = realClusterKubeconfig

  static func settings(namespace: String) -> [String: FieldValue] {
    var settings: [String: FieldValue] = ["kubeconfig": .string(kubeconfig ?? ""), "namespace": .string(namespace)]
    if let context = environment["BERTH_KUBE_TEST_CONTEXT"] { settings["context"] = .string(context) }
    return settings
  }

  @Test func provisionDryRunApplyObserveAndDeployOnARealCluster() async throws {
    let namespace = "berth-test-\(UUID().uuidString.prefix(8).lowercased())"
    let settings = Self.settings(namespace: namespace)
    let provider = KubernetesTargetProvider(
      timings: KubernetesTimings(pollInterval: .seconds(2), rolloutSlack: .seconds(60), deleteTimeout: .seconds(180)))
    let client = try KubeClient(try ClusterConnection.resolve(settings))
    do {
      try await exercise(provider, client, namespace: namespace, settings: settings)
    } catch {
      Issue.record(error)
    }
    _ = try? await client.delete(.namespace, namespace, namespace: nil, propagationPolicy: "Background")
    await client.shutdown()
  }

  func exercise(_ provider: KubernetesTargetProvider, _ client: KubeClient, namespace: String, settings: [String: FieldValue])
    async throws
  {
    _ = try await provider.apply(
      ApplyRequest(operation: .provision(name: "real", ComputeTargetSpec(type: .kubernetes, settings: settings))))
    #expect(try await client.get(.serviceAccount, KubernetesRenderer.serviceAccountName, namespace: namespace) != nil)

    // The API server itself admits every rendered object (server-side dry run: validation and defaulting, nothing stored).
    let deployment = Samples.deployment("berth-dry-run", settings: ["num_replicas": .int(1)], target: settings)
    for object in KubernetesRenderer.render(deployment, image: .built(Samples.image), namespace: namespace) {
      try await client.apply(object, dryRun: true)
    }
    let empty = try await provider.observe(
      ObserveRequest(
        computeTargetName: "real", computeTarget: ComputeTargetSpec(type: .kubernetes, settings: settings),
        services: [ObservedService(name: "berth-dry-run", recordedOutputs: [:])]))
    #expect(empty.services["berth-dry-run"]?.health == .missing && empty.backendCalls == 4)

    guard let reference = Self.environment["BERTH_KUBE_TEST_IMAGE"] else { return }
    let image = ContainerImage(
      reference: reference, digest: String(reference.split(separator: "@").last ?? ""),
      registry: String(reference.split(separator: "/").first ?? ""))
    let service = Samples.deployment(
      "berth-real", settings: ["num_replicas": .int(1), "cpu_cores": .double(0.1), "memory_gb": .double(0.5)], image: image,
      target: settings)
    let deployed = try await provider.apply(ApplyRequest(operation: .deploy(service), progress: { print($0) }))
    let observed = try await provider.observe(
      ObserveRequest(
        computeTargetName: "real", computeTarget: ComputeTargetSpec(type: .kubernetes, settings: settings),
        services: [ObservedService(name: "berth-real", recordedOutputs: deployed.outputs)]))
    #expect(observed.services["berth-real"]?.health == .healthy)
    _ = try await provider.apply(ApplyRequest(operation: .delete(name: "berth-real", previous: deployed.outputs)))
    #expect(try await client.get(.deployment, "berth-real", namespace: namespace) == nil)
  }
}
