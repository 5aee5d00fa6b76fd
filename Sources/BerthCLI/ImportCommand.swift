import ArgumentParser
import BerthKit
import BerthModel
import Foundation

/// `berth import ADDRESS INSTANCE`: adopt a service that already runs, without touching it.
struct ImportCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Adopt a service that already runs into the state, without changing it.",
    discussion: """
      The service must be declared in the manifests and not recorded yet. INSTANCE is the name its compute target \
      knows it by: for the local target, its folder under the runtime directory (.berth/run/NAME); for \
      Kubernetes, the name of its Deployment. Run `berth plan` afterwards to see what differs from the manifests.
      """)

  @OptionGroup var manifests: ManifestOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "service/NAME, as declared in the manifests.") var address: String
  @Argument(help: "The name the compute target knows the running service by.") var instance: String
  @Option(name: .long, help: "Seconds to wait for the state lock held by another run (0: fail at once).")
  var lockTimeout: Double = 0

  func run() async throws {
    guard let parsed = ResourceAddress(parsing: address) else { throw ValidationError("'\(address)' is not kind/name") }
    try await UserErrors.report {
      let terminal = Terminal(noColorFlag: output.noColor)
      let reconciler = Reconciler.standard()
      let (validation, workspace, store) = try WorkspaceAccess.openValid(manifests, reconciler: reconciler, terminal: terminal)
      let result = try await reconciler.withLock(store, operation: "import \(parsed)", timeout: lockTimeout) {
        let (context, _) = try await reconciler.prepare(
          validation: validation, workspace: workspace, store: store, observe: false)
        return try await reconciler.importService(parsed, instance: instance, context: context)
      }
      for record in result.records where record.address != parsed {
        terminal.out("Recorded \(record.address) (a service runs on it).")
      }
      terminal.out("Imported \(parsed): \(result.observation.health.rawValue.lowercased()); \(result.observation.message).")
      terminal.out(
        result.matchesManifests
          ? "It runs the revision the manifests describe; `berth plan` has nothing to do for it."
          : "It runs another revision than the manifests describe; `berth plan` shows the update that would bring it in line."
      )
    }
  }
}
