import ArgumentParser
import BerthKit
import Foundation

/// `berth render`: the Kubernetes objects an apply would send for one service, like `helm template`.
struct RenderCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "render",
    abstract: "Print the Kubernetes objects apply would send for a service.",
    discussion: """
      Reads the manifests and the state, never the cluster. The image is --image when given, else the one \
      recorded at the service's last apply, else a placeholder marked berth.dev/image: placeholder. \
      The image pull Secret is never printed.
      """)

  @OptionGroup var manifests: ManifestOptions
  @Argument(help: "The service's name.") var service: String
  @Option(help: ArgumentHelp("Image to render instead of the recorded one.", valueName: "ref")) var image: String?
  @Flag(help: "Print a JSON array instead of YAML.") var json = false

  func run() async throws {
    try await UserErrors.report {
      let rendered = try await Reconciler.standard().render(
        path: manifests.path, overlays: manifests.overlay, service: service, imageReference: image)
      print(json ? rendered.json : rendered.yaml, terminator: "")
    }
  }
}
