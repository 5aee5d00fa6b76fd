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

  /// Until a target serves endpoints, plan and apply say so at the Endpoint's `kind:` line and change nothing.
  @Test func planAndApplyRefuseTheEndpointAtItsKindLine() throws {
    let scratch = try scratchCopy()
    let expected =
      "berth.yaml:32:7: error: endpoint 'scoring' is on compute target 'dev' of type local, where no provider of this build serves endpoints yet"
    #expect(try BerthProcess.run(["validate"], in: scratch.path).status == 0)
    for command in [["plan"], ["apply", "--auto-approve"]] {
      let result = try BerthProcess.run(command, in: scratch.path)
      #expect(result.status == 1, "\(command): \(result.output)")
      #expect(result.output.contains(expected), "\(command): \(result.output)")
      #expect(!result.output.contains("Fatal error"))
    }
    let list = try BerthProcess.run(["endpoints", "list"], in: scratch.path)
    #expect(list.stdout.contains("\tnot applied\t"), "apply recorded nothing: \(list.output)")
  }

  @Test func anUnknownEndpointIsAnErrorNotACrash() throws {
    let scratch = try scratchCopy()
    let result = try BerthProcess.run(["endpoints", "show", "scorng"], in: scratch.path)
    #expect(result.status != 0)
    #expect(result.stderr.contains("endpoint 'scorng' is neither declared nor recorded"))
    #expect(!result.stderr.contains("Fatal error"))
  }
}
