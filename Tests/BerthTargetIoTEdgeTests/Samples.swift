import BerthModel
import BerthTargetAPI
import BerthTargetIoTEdge
import Foundation

/// Service deployments shared by this target's tests.
enum Samples {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

  static func image(_ tag: String = "ab") -> ContainerImage {
    ContainerImage(
      reference: "registry.example.com/berth/iris-edge@sha256:" + String(repeating: tag, count: 32),
      digest: "sha256:" + String(repeating: tag, count: 32), registry: "registry.example.com", usernameEnv: "REG_USER",
      passwordEnv: "REG_PASSWORD")
  }

  static func deployment(
    _ name: String = "iris-edge", settings: [String: FieldValue] = [:], target: [String: FieldValue] = [:],
    revision: String = "rev000000001", image: ContainerImage? = Samples.image()
  ) -> ServiceDeployment {
    var all: [String: FieldValue] = ["device_id": .string("edge-01")]
    for (key, value) in settings { all[key] = value }
    return ServiceDeployment(
      name: name, revision: revision,
      models: [DeployedModel(name: "iris-logreg", version: 1, sha256: "10cdf86f", storePath: "/m", basename: "model")],
      sourceDirectory: "/src", entryScript: "score.py", condaFile: "/env/conda.yaml", environmentName: "iris-sklearn-env",
      environmentDigest: "0a7b0d86", environmentVariables: ["LOG_LEVEL": "info"], settings: all,
      computeTargetName: "factory-hub", computeTarget: ComputeTargetSpec(type: .iotedge, settings: target),
      labels: ["team": "botany"], image: image)
  }

  static func provider(environment: [String: String] = IoTHubDouble.environment) -> IoTEdgeTargetProvider {
    IoTEdgeTargetProvider(
      environment: environment, timings: IoTEdgeTimings(pollInterval: .milliseconds(50), waitTimeout: .seconds(10)))
  }

  /// Every text a secret of the tests could leak into.
  static let secrets = ["pa55-never-printed", IoTHubDouble.key, IoTHubDouble.connectionString]
}
