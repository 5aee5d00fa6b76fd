import Foundation

/// The diabetes example rewritten for a container target: a kubernetes compute target, the test base image and a
/// Workspace whose registry is the test registry (plain HTTP).
enum ContainerServiceManifests {
  /// Copies the example into `folder` and rewrites its manifest; returns the manifest folder.
  static func write(in folder: String, registry: TestRegistry, base: String) throws -> String {
    let checkout = try DiabetesCheckout.make(in: folder)
    let file = checkout.root + "/berth.yaml"
    var text = try String(contentsOfFile: file, encoding: .utf8)
    text = text.replacingOccurrences(
      of: "  environment: sklearn-env\n", with: "  environment: sklearn-env\n  base_image: \(base)\n")
    text = text.replacingOccurrences(of: "  name: local\nspec:\n  type: local", with: "  name: aks\nspec:\n  type: kubernetes")
    text = text.replacingOccurrences(of: "  compute_target: local", with: "  compute_target: aks")
    text = text.replacingOccurrences(of: "    port: 8890\n", with: "")
    text = text.replacingOccurrences(of: "name: diabetes-local", with: "name: diabetes-aks")
    var credentials = ""
    if registry.credentials != nil {
      credentials = "    username_env: BERTH_TEST_REGISTRY_USER\n    password_env: BERTH_TEST_REGISTRY_PASSWORD\n"
    }
    text += """
      ---
      apiVersion: berth/v1
      kind: Workspace
      metadata:
        name: images-test
      spec:
        environment_cache: \(ImageTests.environmentCache)
        registry:
          address: \(registry.address)
      \(credentials)    insecure: true

      """
    try text.write(toFile: file, atomically: true, encoding: .utf8)
    return checkout.root
  }
}
