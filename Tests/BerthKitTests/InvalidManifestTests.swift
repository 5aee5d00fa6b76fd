import BerthKit
import BerthModel
import BerthTesting
import Foundation
import Testing

/// Each folder under Fixtures/invalid is one broken manifest set; its `expected.txt` is the exact output users read.
@Suite struct InvalidManifestTests {
  static let cases = TestPaths.subfolders(of: TestPaths.fixtures.appendingPathComponent("invalid"))

  @Test func thereAreAtLeastTwentyFiveCases() {
    #expect(Self.cases.count >= 25)
  }

  @Test(arguments: cases)
  func diagnosticsMatchGoldenFile(_ name: String) throws {
    let folder = TestPaths.fixtures.appendingPathComponent("invalid/\(name)")
    let validation = Validation.run(path: folder.path, displayPath: name)
    #expect(!validation.isValid, "fixture \(name) should be invalid")
    let rendered = validation.diagnostics.map(\.description).joined(separator: "\n") + "\n"
    let mismatch = SnapshotFile.mismatch(rendered, file: folder.appendingPathComponent("expected.txt"))
    #expect(mismatch == nil, "\(mismatch ?? "")")
  }

  @Test(arguments: cases)
  func everyErrorHasALocationUnlessNoFileIsInvolved(_ name: String) {
    let folder = TestPaths.fixtures.appendingPathComponent("invalid/\(name)")
    let validation = Validation.run(path: folder.path, displayPath: name)
    let unlocated = validation.diagnostics.filter { $0.location == nil && !$0.message.hasPrefix("no Berth manifests") }
    #expect(unlocated.isEmpty, "diagnostics without file:line:col: \(unlocated)")
  }
}
