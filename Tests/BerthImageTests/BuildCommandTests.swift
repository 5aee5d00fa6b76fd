import BerthTesting
import Foundation
import Testing

/// `berth build` as a user runs it: progress on standard error, the reference on standard output.
@Suite(.serialized, .enabled(if: ImageTests.toolsAvailable, ImageTests.unavailable))
struct BuildCommandTests {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

  /// `berth` beside the test bundle (`swift build --build-tests` builds both into the same folder).
  static let berth: String = {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("berth")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
      directory.deleteLastPathComponent()
    }
    return ImageTests.repositoryRoot + "/.build/debug/berth"
  }()

  /// Registry address, digests and sizes vary between runs and machines; the words must not.
  static func normalized(_ text: String, registry: String) -> String {
    var result = text.replacingOccurrences(of: registry, with: "<registry>")
    for (pattern, replacement) in [
      (#"sha256:[0-9a-f]{64}"#, "sha256:<digest>"), (#"sha256:[0-9a-f]{12}…"#, "sha256:<digest>…"),
      // Zero stays visible: "0 layer bytes uploaded" is the promise for unchanged inputs.
      (#"\b[1-9]\d*(\.\d+)? (B|KiB|MiB)\b"#, "<size>"), (#"\b[1-9]\d* (layer )?bytes"#, "<n> $1bytes"),
    ] {
      result = result.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
    }
    return result
  }

  @Test func buildPrintsTheReferenceAndUploadsNothingTheSecondTime() async throws {
    // A registry of its own: the cold run must find none of the blobs other tests pushed.
    let registry = try await TestRegistry.start(credentials: nil)
    let base = try await registry.pushBaseImage()
    let folder = try ContainerServiceManifests.write(in: try ImageTests.scratch("cli"), registry: registry, base: base)
    let environment = ProcessInfo.processInfo.environment.merging(["NO_COLOR": "1"]) { $1 }
    let first = try await ImageTests.run(Self.berth, ["build", "diabetes-aks", "--dir", folder], environment: environment)
    #expect(first.status == 0, "\(first.errors)")
    let second = try await ImageTests.run(Self.berth, ["build", "diabetes-aks", "--dir", folder], environment: environment)
    #expect(second.status == 0, "\(second.errors)")
    #expect(first.output == second.output)
    #expect(first.output.hasPrefix("\(registry.address)/berth/diabetes-aks@sha256:"))
    #expect(second.errors.contains("Built diabetes-aks: 0 layer bytes uploaded"))
    let transcript =
      "$ berth build diabetes-aks   # cold\n" + first.errors + "$ berth build diabetes-aks   # unchanged\n" + second.errors
      + "stdout: " + first.output
    let mismatch = SnapshotFile.mismatch(
      Self.normalized(transcript, registry: registry.address), file: Self.snapshots.appendingPathComponent("berth-build.txt"))
    #expect(mismatch == nil, "\(mismatch ?? "")")

    let missing = try await ImageTests.run(Self.berth, ["build", "nope", "--dir", folder], environment: environment)
    #expect(missing.status == 1)
    #expect(missing.errors == "error: no service 'nope' in the manifests\n  hint: services: diabetes-aks\n")
  }
}
