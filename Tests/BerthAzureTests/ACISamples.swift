import BerthModel
import BerthTargetACI
import BerthTargetAPI
import BerthTesting
import Foundation

/// Deployments of services on an `aci` target pointed at the ARM double.
enum ACISamples {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
  static let subscription = "00000000-0000-0000-0000-00000000beef"

  static func target(_ double: ARMDouble, location: String = "westeurope") -> [String: FieldValue] {
    [
      "subscription_id": .string(subscription), "resource_group": .string("ml-dev"), "location": .string(location),
      "resource_manager": .string(double.url),
    ]
  }

  static func image(_ generation: String) -> ContainerImage {
    let digest = "sha256:" + String(repeating: generation, count: 64).prefix(64)
    return ContainerImage(
      reference: "mlregistry.azurecr.io/berth/risk@\(digest)", digest: String(digest), registry: "mlregistry.azurecr.io",
      usernameEnv: "ACR_USER", passwordEnv: "ACR_PASSWORD")
  }

  static func deployment(
    _ name: String, target: [String: FieldValue], revision: String, image: ContainerImage,
    settings: [String: FieldValue] = [:]
  ) -> ServiceDeployment {
    ServiceDeployment(
      name: name, revision: revision,
      models: [DeployedModel(name: "diabetes", version: 1, sha256: "10cdf86f", storePath: "/m", basename: "model.pkl")],
      sourceDirectory: "/src", entryScript: "score.py", condaFile: "/env/conda.yaml", environmentName: "sklearn",
      environmentDigest: "0a7b0d86", environmentVariables: ["LOG_LEVEL": "info"], settings: settings,
      computeTargetName: "aci-dev", computeTarget: ComputeTargetSpec(type: .aci, settings: target), image: image)
  }

  static let registryPassword = "acr-pa55-never-shown"

  static func provider(_ double: ARMDouble) -> ACITargetProvider {
    ACITargetProvider(
      environment: double.environment.merging(["ACR_USER": "mlregistry", "ACR_PASSWORD": registryPassword]) { $1 },
      pollInterval: .milliseconds(20))
  }

  static func path(_ name: String) -> String {
    "/subscriptions/\(subscription)/resourceGroups/ml-dev/providers/Microsoft.ContainerInstance/containerGroups/\(name)"
  }
}
