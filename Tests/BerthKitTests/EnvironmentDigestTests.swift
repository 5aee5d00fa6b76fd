import BerthGraph
import BerthModel
import BerthModelStore
import Foundation
import Testing

@testable import BerthKit

/// Resolution settings change what an environment installs, so they change its digest (and so the
/// revision of every service using it); an environment without them keeps the conda file's digest.
@Suite struct EnvironmentDigestTests {
  func digest(_ resolution: EnvironmentResolution, folder: String) throws -> String {
    let environment = Resource(
      address: ResourceAddress(.environment, "env"),
      spec: .environment(EnvironmentSpec(condaFile: "conda.yml", resolution: resolution)),
      location: SourceLocation(file: folder + "/env.yaml", line: 1, column: 1), baseDirectory: folder)
    let graph = GraphBuilder.build([environment]).graph
    let digests = try ContentDigests.measure(graph, hasher: ContentHasher(cache: HashCache(file: nil)))
    return try #require(digests[ResourceAddress(.environment, "env")])
  }

  @Test func resolutionSettingsChangeTheDigest() throws {
    let folder = NSTemporaryDirectory() + "berth-env-digest-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try "dependencies:\n  - python=3.11\n".write(toFile: folder + "/conda.yml", atomically: true, encoding: .utf8)
    let file = try ContentHasher(cache: HashCache(file: nil)).digest(of: folder + "/conda.yml").sha256

    let plain = try digest(EnvironmentResolution(), folder: folder)
    #expect(plain == file)
    let variants = [
      EnvironmentResolution(rule: .latest), EnvironmentResolution(pipConstraints: ["numpy<2"]),
      EnvironmentResolution(pipConstraints: ["numpy<1.25"]), EnvironmentResolution(solver: .conda),
    ]
    let digests = try variants.map { try digest($0, folder: folder) }
    #expect(Set(digests + [plain]).count == variants.count + 1)
  }
}
