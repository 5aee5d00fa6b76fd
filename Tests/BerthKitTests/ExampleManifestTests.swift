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

  /// How an example is validated: its folder, or its `base/` with each of its `overlays/*`.
  static func variants(_ name: String) -> [(path: String, overlays: [String])] {
    let folder = TestPaths.examples.appendingPathComponent(name)
    let overlays = TestPaths.subfolders(of: folder.appendingPathComponent("overlays"))
    guard !overlays.isEmpty else { return [(folder.path, [])] }
    let base = folder.appendingPathComponent("base").path
    return [(base, [])] + overlays.map { (base, [folder.appendingPathComponent("overlays/\($0)").path]) }
  }

  @Test(arguments: examples)
  func exampleValidates(_ name: String) {
    for variant in Self.variants(name) {
      let validation = Validation.run(path: variant.path, displayPath: name, overlays: variant.overlays)
      #expect(validation.diagnostics.isEmpty, "\(validation.diagnostics.map(\.description).joined(separator: "\n"))")
      #expect(validation.graph.resources(of: .service).count >= 1)
    }
  }

  @Test(arguments: examples)
  func exampleHasAReadme(_ name: String) {
    let readme = TestPaths.examples.appendingPathComponent("\(name)/README.md")
    #expect(FileManager.default.fileExists(atPath: readme.path))
  }
}
