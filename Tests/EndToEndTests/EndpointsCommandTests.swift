import BerthTesting
import Foundation
import Testing

/// `berth endpoints list | show`: what the manifests declare and what was recorded, as users read it.
@Suite struct EndpointsCommandTests {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
  static let fixture = RepositoryPaths.root.appendingPathComponent("Tests/BerthKitTests/Fixtures/valid/endpoint-blue-green")

  func scratchCopy() throws -> ScratchDirectory {
    let scratch = try ScratchDirectory("endpoints")
    try FileManager.default.removeItem(atPath: scratch.path)
    try FileManager.default.copyItem(atPath: Self.fixture.path, toPath: scratch.path)
    return scratch
  }

  @Test func listAndShowMatchGoldenFiles() throws {
    let scratch = try scratchCopy()
    for (arguments, name) in [(["endpoints", "list"], "endpoints-list"), (["endpoints", "show", "scoring"], "endpoints-show")] {
      let result = try BerthProcess.run(arguments, in: scratch.path)
      #expect(result.status == 0, "\(result.stderr)")
      let mismatch = SnapshotFile.mismatch(result.stdout, file: Self.snapshots.appendingPathComponent("berth-\(name).txt"))
      #expect(mismatch == nil, "\(mismatch ?? "")")
    }
  }

  @Test func anUnknownEndpointIsAnErrorNotACrash() throws {
    let scratch = try scratchCopy()
    let result = try BerthProcess.run(["endpoints", "show", "scorng"], in: scratch.path)
    #expect(result.status != 0)
    #expect(result.stderr.contains("endpoint 'scorng' is neither declared nor recorded"))
    #expect(!result.stderr.contains("Fatal error"))
  }
}
