import BerthKit
import BerthModel
import BerthPlan
import BerthState
import BerthTesting
import Foundation
import Testing

/// Every example's plan from empty state is a golden file (text and JSON): what a new user sees first.
@Suite struct ExamplePlanTests {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

  @Test(arguments: ExampleManifestTests.examples)
  func planFromEmptyStateMatchesGoldenFiles(_ name: String) async throws {
    let store = InMemoryStateStore()
    let reconciler = Reconciler(
      targets: { _ in
        Targets(
          providers: [
            RecordingTargetProvider(type: .local), RecordingTargetProvider(type: .kubernetes),
            RecordingTargetProvider(type: .batch), RecordingTargetProvider(type: .iotedge),
            RecordingTargetProvider(type: .aci),
          ],
          environmentBuilder: FakeEnvironmentBuilder())
      },
      openState: { _, _ in store })
    let scratch = NSTemporaryDirectory() + "berth-example-\(name)-\(UUID().uuidString.prefix(6))"
    try FileManager.default.copyItem(atPath: TestPaths.examples.appendingPathComponent(name).path, toPath: scratch)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    try? FileManager.default.removeItem(atPath: scratch + "/.berth")
    let variant = ExampleManifestTests.variants(name).last!
    let relative = { (path: String) in scratch + path.dropFirst(TestPaths.examples.appendingPathComponent(name).path.count) }
    let (context, diagnostics) = try await reconciler.prepare(
      path: relative(variant.path), overlays: variant.overlays.map(relative), observe: false)
    #expect(context != nil, "\(diagnostics)")
    guard let context else { return }
    var plan = reconciler.plan(context)
    plan.fingerprint.inputsDigest = "(varies with the checkout path)"
    let text = SnapshotFile.mismatch(
      PlanTextRenderer().render(plan), file: Self.snapshots.appendingPathComponent("\(name).plan.txt"))
    #expect(text == nil, "\(text ?? "")")
    let json = SnapshotFile.mismatch(
      String(decoding: try PlanJSON.encode(plan), as: UTF8.self), file: Self.snapshots.appendingPathComponent("\(name).plan.json")
    )
    #expect(json == nil, "\(json ?? "")")
    let markdown = SnapshotFile.mismatch(
      PlanMarkdownRenderer.render(plan), file: Self.snapshots.appendingPathComponent("\(name).plan.md"))
    #expect(markdown == nil, "\(markdown ?? "")")
    #expect(!plan.diagnostics.hasErrors)
  }
}
