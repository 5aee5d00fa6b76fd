import ArgumentParser
import BerthKit
import Foundation

/// `berth build`: builds and pushes one service's image without applying anything.
struct BuildCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "build",
    abstract: "Build a service's image and push it to the Workspace registry; print its reference.",
    discussion: """
      For services on container targets (kubernetes, aci, batch, iotedge). No Docker daemon: the base image is read \
      by manifest, the dependencies are installed with uv for the image's platform, and every layer is reproducible \
      and cached by its inputs, so unchanged inputs upload no layer bytes. State is read, never written.
      Progress goes to standard error; the image reference (registry/repository@sha256:…) to standard output.
      """)

  @OptionGroup var manifests: ManifestOptions
  @OptionGroup var output: OutputOptions
  @Argument(help: "The service whose image to build.") var service: String

  func run() async throws {
    let terminal = Terminal(noColorFlag: output.noColor, fileDescriptor: STDERR_FILENO)
    try await UserErrors.report {
      let response = try await Reconciler.standard().buildImage(
        service: service, path: manifests.path, overlays: manifests.overlay, progress: { terminal.err($0) })
      terminal.err(
        "Built \(service): \(response.layerBytesUploaded) layer bytes uploaded (\(response.bytesUploaded) bytes in all).")
      print(response.image.reference)
    }
  }
}
