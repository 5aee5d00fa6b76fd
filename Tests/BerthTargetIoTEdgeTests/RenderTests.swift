import BerthKit
import BerthModel
import BerthTesting
import Foundation
import Testing

/// `berth render` of a service on an iotedge target: its device's manifest, golden, schema-checked, credentials masked.
@Suite struct RenderTests {
  /// A copy of the example, so that rendering (which opens the state) leaves the repository alone.
  static func copy() throws -> URL {
    let destination = FileManager.default.temporaryDirectory.appendingPathComponent("berth-edge-render-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: RepositoryPaths.examples.appendingPathComponent("iris-edge"), to: destination)
    try? FileManager.default.removeItem(at: destination.appendingPathComponent(".berth"))
    return destination
  }

  @Test func theDeviceManifestMatchesTheGoldenFileWithCredentialsMasked() async throws {
    let folder = try Self.copy()
    defer { try? FileManager.default.removeItem(at: folder) }
    let rendered = try await Reconciler.standard().render(
      path: folder.path, service: "iris-edge",
      imageReference: "myregistry.azurecr.io/berth/iris-edge@sha256:" + String(repeating: "5e", count: 32))
    let text = try #require(rendered.document)
    let mismatch = SnapshotFile.mismatch(text, file: Samples.snapshots.appendingPathComponent("iris-edge.manifest.json"))
    #expect(mismatch == nil, "\(mismatch ?? "")")
    #expect(rendered.json == text && rendered.yaml == text)
    #expect(text.contains(#""password": "****""#) && text.contains(#""username": "****""#))
    #expect(rendered.notPrinted.contains { $0.contains("$ACR_PASSWORD") })
    #expect(rendered.notPrinted.contains { $0.contains("images not built yet: iris-edge-lite") })
  }

  /// The rendered content passes the double's checks of the published $edgeAgent/$edgeHub schemas.
  @Test func theRenderedManifestPassesTheSchemaChecks() async throws {
    let folder = try Self.copy()
    defer { try? FileManager.default.removeItem(at: folder) }
    let rendered = try await Reconciler.standard().render(path: folder.path, service: "iris-edge-lite")
    let file = folder.appendingPathComponent("manifest.json")
    try rendered.json.write(to: file, atomically: true, encoding: .utf8)
    let script = """
      import json, sys, importlib.util
      spec = importlib.util.spec_from_file_location("double", sys.argv[1])
      double = importlib.util.module_from_spec(spec); spec.loader.exec_module(double)
      double.validate_content(json.load(open(sys.argv[2])))
      print("VALID")
      """
    let child = try ChildProcess(python: script, [IoTHubDouble.script, file.path])
    let lines = await child.readLines()
    let status = await child.finish()
    #expect(status == 0 && lines == ["VALID"], "\(lines) \(child.errorText())")
  }
}
