import BerthApply
import BerthImage
import BerthKit
import BerthModel
import BerthPlan
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

/// A batch job on a cluster, with nothing faked but the cluster's control plane: the batch-diabetes example with a
/// batch target that names a cluster goes through plan and apply; its image (scoring image + the runner and input
/// layer) is built and pushed to a real docker-registry; the Indexed Job goes to the API server double (strict schema
/// validation, Job controller); and each pod runs as a kubelet would run it — the image pulled by digest by skopeo,
/// unpacked by umoci, its command run under unshare + chroot with the image config's and the pod's environment. The
/// output must be what the same job writes on this machine.
@Suite(.serialized, .enabled(if: ImageTests.toolsAvailable, ImageTests.unavailable))
struct BatchClusterImageTests {
  /// The example in `folder`, with its Workspace on `registry` and, when `cluster` is given, its batch target there.
  static func manifests(in folder: String, registry: TestRegistry, base: String, kubeconfig: String?) throws -> String {
    let root = folder + "/batch-diabetes"
    try FileManager.default.copyItem(atPath: ImageTests.repositoryRoot + "/manifests/examples/batch-diabetes", toPath: root)
    for leftover in ["/.berth", "/results"] { try? FileManager.default.removeItem(atPath: root + leftover) }
    var text = try String(contentsOfFile: root + "/berth.yaml", encoding: .utf8)
    text = text.replacingOccurrences(
      of: "  environment: sklearn-env\n", with: "  environment: sklearn-env\n  base_image: \(base)\n")
    if let kubeconfig {
      text = text.replacingOccurrences(
        of: "  type: batch\n", with: "  type: batch\n  kubeconfig: \(kubeconfig)\n  context: double\n  namespace: ml-batch\n")
    }
    text += """
      ---
      apiVersion: berth/v1
      kind: Workspace
      metadata:
        name: batch-image-test
      spec:
        environment_cache: \(ImageTests.environmentCache)
        registry:
          address: \(registry.address)
          insecure: true

      """
    try text.write(toFile: root + "/berth.yaml", atomically: true, encoding: .utf8)
    return root
  }

  static func apply(_ folder: String) async throws -> (Plan, ExecutionSummary) {
    let reconciler = Reconciler(
      targets: { Composition.targets(for: $0, gatewayCommand: []) }, openState: Composition.openState)
    let (prepared, diagnostics) = try await reconciler.prepare(path: folder)
    let context = try #require(prepared, "\(diagnostics)")
    let plan = reconciler.plan(context)
    #expect(!plan.diagnostics.hasErrors, "\(plan.diagnostics)")
    return (plan, try await reconciler.apply(plan, context: context, parallelism: 2, events: { _ in }))
  }

  @Test func jobImageScoresInItsPodsLikeThisMachine() async throws {
    let registry = try await TestRegistry.anonymous()
    let base = try await registry.pushBaseImage()
    let double = try await KubeAPIDouble()
    defer { Task { await double.stop() } }
    let scratch = try ImageTests.scratch("batch-cluster")
    let kubeconfig = scratch + "/kubeconfig.yaml"
    try """
    apiVersion: v1
    kind: Config
    clusters: [{name: double, cluster: {server: "\(double.url)"}}]
    users: [{name: tester, user: {token: not-checked-by-the-double}}]
    contexts: [{name: double, context: {cluster: double, user: tester}}]
    current-context: double
    """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
    let folder = try Self.manifests(
      in: scratch + "/cluster", registry: registry, base: base, kubeconfig: kubeconfig)
    let pods = ChrootPods(registry: registry)
    let kubelet = KubeletDouble(double: double) { pod in try await pods.run(pod) }
    let running = Task { await kubelet.run() }
    defer { running.cancel() }

    let (plan, summary) = try await Self.apply(folder)
    #expect(summary.isSuccess, "\(summary)")
    let action = try #require(plan.actions.first { $0.address == ResourceAddress(.service, "diabetes-batch") })
    #expect(action.steps.contains(RolloutStep.buildImage), "a batch job on a cluster runs an image: \(action.steps)")
    // 12 files in mini-batches of 4: three pods, each from the pushed image by digest.
    #expect(kubelet.podsRun == 3)
    let images = await pods.images
    #expect(images.count == 1 && images.first?.hasPrefix("\(registry.address)/berth/diabetes-batch@sha256:") == true)
    let onCluster = try String(contentsOfFile: folder + "/results/parallel_run_step.txt", encoding: .utf8)

    // The same job on this machine.
    let local = try Self.manifests(in: scratch + "/local", registry: registry, base: base, kubeconfig: nil)
    let (_, localSummary) = try await Self.apply(local)
    #expect(localSummary.isSuccess, "\(localSummary)")
    let here = try String(contentsOfFile: local + "/results/parallel_run_step.txt", encoding: .utf8)
    #expect(onCluster == here)
    #expect(onCluster.split(separator: "\n").count == 12)
  }
}

/// Runs pods from their real images: pulled by skopeo, unpacked by umoci (once per image), the command run under
/// unshare + chroot with the image config's environment under the pod's, as a container runtime would.
actor ChrootPods {
  let registry: TestRegistry
  private var unpacked: [String: (rootfs: String, environment: [String])] = [:]

  init(registry: TestRegistry) { self.registry = registry }

  var images: [String] { Array(unpacked.keys) }

  func run(_ pod: DoublePod) async throws -> (status: Int32, log: String) {
    let image = try await self.image(pod.image)
    var environment = image.environment
    for (name, value) in pod.environment.sorted(by: { $0.key < $1.key }) {
      environment.removeAll { $0.hasPrefix(name + "=") }
      environment.append("\(name)=\(value)")
    }
    let launcher = image.rootfs + "/../launch.sh"
    let result = try await runToEnd(
      "/usr/bin/unshare",
      ["--mount", "--pid", "--fork", "--kill-child", "/bin/sh", launcher, image.rootfs, "/usr/bin/env", "-i"] + environment
        + pod.command)
    return (result.status, result.output + result.errors)
  }

  private func image(_ reference: String) async throws -> (rootfs: String, environment: [String]) {
    if let known = unpacked[reference] { return known }
    let rootfs = try await Unpacked.rootfs(of: reference, registry: registry)
    let configText = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--config"] + registry.skopeoOptions() + ["docker://\(reference)"])
    let config = try JSONDecoder().decode(ImageConfig.self, from: Data(configText.utf8)).config
    try ImageTests.writeChrootLauncher(to: rootfs + "/../launch.sh")
    let found = (rootfs, config?.env ?? [])
    unpacked[reference] = found
    return found
  }
}
