import BerthKit
import BerthModel
import BerthTesting
import Foundation
import Testing

/// Each folder under Fixtures/warnings is a valid manifest set that still draws warnings (settings a target
/// accepts but does not honour); its `expected.txt` is the exact output users read.
@Suite struct WarningFixtureTests {
  static let cases = TestPaths.subfolders(of: TestPaths.fixtures.appendingPathComponent("warnings"))

  @Test func thereAreCases() {
    #expect(Self.cases.count >= 2)
  }

  @Test(arguments: cases)
  func warningsMatchGoldenFile(_ name: String) throws {
    let folder = TestPaths.fixtures.appendingPathComponent("warnings/\(name)")
    let validation = Validation.run(path: folder.path, displayPath: name)
    #expect(validation.isValid, "fixture \(name) should be valid: \(validation.diagnostics)")
    #expect(!validation.diagnostics.isEmpty)
    #expect(validation.diagnostics.allSatisfy { $0.severity == .warning && $0.location != nil && $0.hint != nil })
    let rendered = validation.diagnostics.map(\.description).joined(separator: "\n") + "\n"
    let mismatch = SnapshotFile.mismatch(rendered, file: folder.appendingPathComponent("expected.txt"))
    #expect(mismatch == nil, "\(mismatch ?? "")")
  }
}
