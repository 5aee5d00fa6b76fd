import BerthTesting
import Foundation
import Testing

/// `berth render` as users run it: YAML on stdout, errors as `error:` lines with exit 1.
@Suite struct RenderCommandTests {
  static func example() throws -> String {
    let folder = NSTemporaryDirectory() + "berth-render-e2e-\(UUID().uuidString)"
    try FileManager.default.copyItem(atPath: RepositoryPaths.examples.appendingPathComponent("iris-aks").path, toPath: folder)
    try? FileManager.default.removeItem(atPath: folder + "/.berth")
    return folder
  }

  @Test func printsTheObjectsOfAKubernetesService() throws {
    let folder = try Self.example()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let result = try BerthProcess.run(
      ["render", "iris-aks", "--dir", folder, "--image", "reg.example/iris@sha256:01"], in: folder)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stdout.hasPrefix("# Rendered by berth; image: reg.example/iris@sha256:01 (--image)\n---\napiVersion: apps/v1\n"))
    #expect(result.stdout.components(separatedBy: "\n---\n").count == 1 + 4, "the comment header, then four documents")
    let json = try BerthProcess.run(["render", "iris-aks", "--dir", folder, "--json"], in: folder)
    let objects = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
    #expect(
      objects?.map { $0["kind"] as? String } == ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"])
  }

  /// An iotedge service: its device's manifest as JSON on stdout, notes on stderr, credentials masked even with the
  /// variables set.
  @Test func printsTheDeviceManifestOfAnIoTEdgeServiceWithoutCredentials() throws {
    let folder = NSTemporaryDirectory() + "berth-render-edge-\(UUID().uuidString)"
    try FileManager.default.copyItem(atPath: RepositoryPaths.examples.appendingPathComponent("iris-edge").path, toPath: folder)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let secrets = [
      "ACR_USERNAME": "edge-user-not-printed", "ACR_PASSWORD": "edge-password-not-printed",
      "FACTORY_HUB_CONNECTION_STRING":
        "HostName=factory-hub.azure-devices.net;SharedAccessKeyName=owner;SharedAccessKey=c2VjcmV0LWtleS1ub3QtcHJpbnRlZA==",
    ]
    let result = try BerthProcess.run(["render", "iris-edge", "--dir", folder], in: folder, environment: secrets)
    #expect(result.status == 0, "\(result.stderr)")
    let manifest = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let modules = (manifest?["modulesContent"] as? [String: Any])?["$edgeAgent"] as? [String: Any]
    #expect(modules?["properties.desired"] != nil)
    #expect(result.stderr.contains("berth render: registry credentials of myregistry.azurecr.io"))
    for value in secrets.values { #expect(!result.stdout.contains(value) && !result.stderr.contains(value)) }
    #expect(!result.stdout.contains("c2VjcmV0"))
    let json = try BerthProcess.run(["render", "iris-edge", "--dir", folder, "--json"], in: folder, environment: secrets)
    #expect(json.stdout == result.stdout)
  }

  /// An aci service: the container group body apply would PUT, the registry password masked even when set.
  @Test func printsTheContainerGroupOfAnACIServiceWithoutCredentials() throws {
    let folder = NSTemporaryDirectory() + "berth-render-aci-\(UUID().uuidString)"
    try FileManager.default.copyItem(atPath: RepositoryPaths.examples.appendingPathComponent("diabetes-aci").path, toPath: folder)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let secrets = ["ACR_USERNAME": "aci-user-not-printed", "ACR_PASSWORD": "aci-password-not-printed"]
    let reference = "myregistry.azurecr.io/berth/diabetes-aci@sha256:" + String(repeating: "c", count: 64)
    let result = try BerthProcess.run(
      ["render", "diabetes-aci", "--dir", folder, "--image", reference], in: folder, environment: secrets)
    #expect(result.status == 0, "\(result.stderr)")
    let group = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    let properties = group?["properties"] as? [String: Any]
    let scoring = ((properties?["containers"] as? [[String: Any]])?.first?["properties"]) as? [String: Any]
    #expect(scoring?["image"] as? String == reference)
    #expect((properties?["ipAddress"] as? [String: Any])?["dnsNameLabel"] as? String == "diabetes-risk-dev")
    #expect((properties?["imageRegistryCredentials"] as? [[String: Any]])?.first?["password"] as? String == "****")
    #expect(result.stderr.contains("/resourceGroups/ml-dev/providers/Microsoft.ContainerInstance/containerGroups/diabetes-aci"))
    for value in secrets.values { #expect(!result.stdout.contains(value) && !result.stderr.contains(value)) }
  }

  @Test func anUnknownServiceIsAnErrorNamingTheKnownOnes() throws {
    let folder = try Self.example()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let result = try BerthProcess.run(["render", "iris", "--dir", folder], in: folder)
    #expect(result.status == 1)
    #expect(result.stderr == "error: no service 'iris' in the manifests; services: iris-aks\n")
  }
}
