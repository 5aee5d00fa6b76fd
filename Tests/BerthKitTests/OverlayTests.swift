import BerthKit
import BerthModel
import BerthTesting
import Foundation
import Testing

/// Overlays patch base documents by kind and name; mistakes are reported in the overlay's own file.
@Suite struct OverlayTests {
  static let folder = TestPaths.fixtures.appendingPathComponent("overlays")
  /// The multi-env example's base serves as the base of every fixture overlay.
  static let base = TestPaths.examples.appendingPathComponent("multi-env/base").path

  func service(_ validation: Validation) -> ServiceSpec? {
    if case .service(let spec)? = validation.graph[ResourceAddress(.service, "pricing")]?.spec { return spec }
    return nil
  }

  @Test func prodOverlayChangesTargetShapeAndAddsResources() throws {
    let examples = TestPaths.examples.appendingPathComponent("multi-env")
    let validation = Validation.run(
      path: examples.appendingPathComponent("base").path, overlays: [examples.appendingPathComponent("overlays/prod").path])
    #expect(validation.diagnostics.isEmpty, "\(validation.diagnostics)")
    let spec = try #require(service(validation))
    #expect(spec.computeTarget == "aks-prod")
    #expect(spec.deployment["port"] == nil, "null removes the base's port")
    #expect(spec.deployment["autoscale_max_replicas"] == .int(12))
    #expect(spec.models == [ModelReference(name: "linear-weights")], "fields the overlay does not write are kept")
    #expect(validation.graph[ResourceAddress(.service, "pricing")]?.lifecycle.preventDestroy == true)
    #expect(validation.graph.workspace?.state == "sqlite:.berth/prod.db")
    #expect(validation.manifests.files.count == 2)
  }

  @Test func withoutAnOverlayTheBaseIsUnchanged() throws {
    let validation = Validation.run(path: Self.base)
    #expect(validation.isValid)
    #expect(try #require(service(validation)).deployment["port"] == .int(8891))
  }

  @Test func overlayMistakesPointAtTheOverlayFile() {
    let validation = Validation.run(
      path: Self.base, displayPath: "base",
      overlays: [Self.folder.appendingPathComponent("broken").path])
    let rendered = validation.diagnostics.map(\.description).joined(separator: "\n")
    let broken = Self.folder.appendingPathComponent("broken/berth.yaml").path
    #expect(rendered.contains("\(broken):6:16: error: unknown field 'workers' in 'deployment'"), "\(rendered)")
    #expect(rendered.contains("\(broken):6:34: error: 'port' must be an integer, found string \"8892\""), "\(rendered)")
  }

  @Test func overlayPathsAreRelativeToTheOverlayFile() throws {
    let validation = Validation.run(
      path: Self.base, overlays: [Self.folder.appendingPathComponent("paths").path])
    #expect(validation.isValid, "\(validation.diagnostics)")
    guard case .model(let model)? = validation.graph[ResourceAddress(.model, "linear-weights")]?.spec else {
      Issue.record("no model")
      return
    }
    #expect(model.path.hasSuffix("/Tests/BerthKitTests/Fixtures/overlays/paths/models/other.json"), "\(model.path)")
    #expect(model.path.hasPrefix("../"), "relative to the base folder")
  }

  @Test func aMissingOverlayFolderIsAnError() {
    let validation = Validation.run(path: Self.base, overlays: ["/nonexistent/overlay"])
    #expect(validation.diagnostics.map(\.message).contains("overlay folder '/nonexistent/overlay' does not exist"))
  }
}
