import BerthModel
import BerthTargetAPI
import BerthTargetKubernetes
import BerthTesting
import Foundation

/// Service deployments and helpers shared by this target's tests.
enum Samples {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

  static let image = ContainerImage(
    reference: "registry.example.com/berth/iris-aks@sha256:" + String(repeating: "ab", count: 32),
    digest: "sha256:" + String(repeating: "ab", count: 32), registry: "registry.example.com")

  static func deployment(
    _ name: String = "iris-aks", settings: [String: FieldValue] = [:], image: ContainerImage? = Samples.image,
    target: [String: FieldValue] = [:], revision: String = "rev000000001"
  ) -> ServiceDeployment {
    ServiceDeployment(
      name: name, revision: revision,
      models: [DeployedModel(name: "iris-logreg", version: 1, sha256: "10cdf86f", storePath: "/m", basename: "model")],
      sourceDirectory: "/src", entryScript: "score.py", condaFile: "/env/conda.yaml", environmentName: "iris-sklearn-env",
      environmentDigest: "0a7b0d86", environmentVariables: ["LOG_LEVEL": "info"], settings: settings,
      computeTargetName: "aks-prod", computeTarget: ComputeTargetSpec(type: .kubernetes, settings: target),
      labels: ["team": "botany"], image: image)
  }

  /// Runs `kubernetes-validate --strict` for `version` on a YAML stream; nil when every object passes, else its output.
  static func kubernetesValidate(_ yaml: String, version: String) async throws -> String? {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("berth-render-\(UUID().uuidString).yaml")
    try yaml.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let child = try ChildProcess(
      executable: "/usr/bin/env", arguments: ["kubernetes-validate", "--strict", "--quiet", "-k", version, file.path])
    let output = await child.readLines()
    let status = await child.finish()
    return status == 0 ? nil : (output + [child.errorText()]).joined(separator: "\n")
  }

  /// The newest Kubernetes version kubernetes-validate bundles schemas for.
  static func newestBundledVersion() async throws -> String {
    let child = try ChildProcess(
      python: "import kubernetes_validate; print(kubernetes_validate.latest_version())", [])
    let lines = await child.readLines()
    _ = await child.finish()
    return lines.first ?? "1.37.0"
  }
}
