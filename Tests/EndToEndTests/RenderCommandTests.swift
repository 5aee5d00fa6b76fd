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

  @Test func anUnknownServiceIsAnErrorNamingTheKnownOnes() throws {
    let folder = try Self.example()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let result = try BerthProcess.run(["render", "iris", "--dir", folder], in: folder)
    #expect(result.status == 1)
    #expect(result.stderr == "error: no service 'iris' in the manifests; services: iris-aks\n")
  }
}
