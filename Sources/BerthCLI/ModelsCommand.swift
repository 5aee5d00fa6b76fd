import ArgumentParser
import BerthKit
import BerthModel
import BerthState
import Foundation

/// `berth models`: the model registry.
struct ModelsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "models", abstract: "List registered models and show their versions.", subcommands: [List.self, Show.self])

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One line per model: latest version, digest, size.")
    @OptionGroup var manifests: ManifestOptions

    func run() async throws {
      let (_, store, _) = try WorkspaceAccess.open(manifests, access: .read)
      let versions = try await store.snapshot().modelVersions
      if versions.isEmpty { print("No models registered yet. Run `berth apply`.") }
      for name in versions.keys.sorted() {
        guard let latest = versions[name]?.last else { continue }
        print(
          "\(name)\tv\(latest.version)\tsha256:\(latest.sha256.prefix(12))\t\(latest.sizeBytes) bytes\t\(versions[name]!.count) version(s)"
        )
      }
    }
  }

  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every version of a model, or one: NAME or NAME:VERSION.")
    @OptionGroup var manifests: ManifestOptions
    @Argument(help: "NAME or NAME:VERSION") var model: String

    func run() async throws {
      guard let reference = ModelReference(parsing: model) else {
        throw ValidationError("'\(model)' is not NAME or NAME:VERSION")
      }
      let (_, store, _) = try WorkspaceAccess.open(manifests, access: .read)
      let all = try await store.snapshot().modelVersions[reference.name] ?? []
      let chosen = reference.version.map { v in all.filter { $0.version == v } } ?? all
      guard !chosen.isEmpty else {
        throw ValidationError(
          all.isEmpty
            ? "model '\(reference.name)' is not registered" : "model '\(reference.name)' has no version \(reference.version!)")
      }
      let formatter = ISO8601DateFormatter()
      for version in chosen {
        print("\(version.name):\(version.version)")
        print("  sha256:      \(version.sha256)")
        print("  registered:  \(formatter.string(from: version.registeredAt))")
        print("  files:       \(version.fileCount) (\(version.sizeBytes) bytes) as \(version.basename)")
        print("  store:       \(version.storePath)")
        if let description = version.description { print("  description: \(description)") }
        for (key, value) in version.tags.sorted(by: { $0.key < $1.key }) { print("  tag \(key): \(value)") }
      }
    }
  }
}
