import BerthTesting
import Foundation
import Testing

/// `--help` of every command is what users read first: recorded verbatim under Snapshots/.
@Suite struct HelpTests {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

  @Test(arguments: [
    [], ["validate"], ["plan"], ["apply"], ["destroy"], ["drift"], ["show"], ["graph"], ["state"], ["models"],
    ["services"], ["endpoints"], ["logs"], ["schema"], ["watch"], ["import"], ["render"], ["build"], ["gateway"],
    ["jobs"],
  ])
  func helpMatchesGoldenFile(_ command: [String]) throws {
    let result = try BerthProcess.run(command + ["--help"], in: NSTemporaryDirectory(), environment: ["COLUMNS": "100"])
    #expect(result.status == 0)
    let name = (["berth"] + command).joined(separator: "-") + ".help.txt"
    let mismatch = SnapshotFile.mismatch(result.stdout, file: Self.snapshots.appendingPathComponent(name))
    #expect(mismatch == nil, "\(mismatch ?? "")")
  }

  @Test func unknownCommandIsAnErrorNotACrash() throws {
    let result = try BerthProcess.run(["deploy-everything"], in: NSTemporaryDirectory())
    #expect(result.status == 64)
    #expect(result.stderr.contains("Unexpected argument 'deploy-everything'"))
    #expect(!result.stderr.contains("Fatal error"))
  }
}
