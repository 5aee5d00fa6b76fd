import BerthKit
import BerthModel
import Foundation
import Testing

/// Every runnable example in manifests/examples validates without errors or warnings.
@Suite struct ExampleManifestTests {
  static let examples = TestPaths.subfolders(of: TestPaths.examples)

  @Test func examplesExist() {
    #expect(Self.examples.contains("diabetes"))
  }

  @Test(arguments: examples)
  func exampleValidates(_ name: String) {
    let validation = Validation.run(path: TestPaths.examples.appendingPathComponent(name).path, displayPath: name)
    #expect(validation.diagnostics.isEmpty, "\(validation.diagnostics.map(\.description).joined(separator: "\n"))")
    #expect(validation.graph.resources(of: .service).count >= 1)
  }

  @Test(arguments: examples)
  func exampleHasAReadme(_ name: String) {
    let readme = TestPaths.examples.appendingPathComponent("\(name)/README.md")
    #expect(FileManager.default.fileExists(atPath: readme.path))
  }
}
