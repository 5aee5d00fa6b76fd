import ArgumentParser
import BerthKit
import Foundation

/// `berth gateway-image`: builds and pushes the image that runs `berth gateway` in a cluster.
struct GatewayImageCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gateway-image",
    abstract: "Build the gateway image from this berth binary, push it to the Workspace registry, print its reference.",
    discussion: """
      The image is the base image plus one layer: the berth binary (this one, or --binary) and the shared \
      libraries it needs beyond glibc; its entrypoint is berth, its command `gateway --config \
      /etc/berth-gateway/routes/gateway.json`. Set the printed reference as `gateway_image` of a kubernetes Endpoint \
      or ComputeTarget. A release berth built with --static-swift-stdlib makes the smallest image. No Docker daemon; \
      the same binary and base give the same digest. State is not read or written.
      Progress goes to standard error; the image reference (registry/berth/gateway@sha256:…) to standard output.
      """)

  @OptionGroup var manifests: ManifestOptions
  @OptionGroup var output: OutputOptions
  @Option(help: "The base image (linux/amd64 with glibc), e.g. debian:bookworm-slim.") var base = "debian:bookworm-slim"
  @Option(help: "The berth executable to put in the image (default: the one running).") var binary: String?

  func run() async throws {
    let terminal = Terminal(noColorFlag: output.noColor, fileDescriptor: STDERR_FILENO)
    try await UserErrors.report {
      let image = try await Reconciler.standard().buildGatewayImage(
        path: manifests.path, overlays: manifests.overlay, baseImage: base, binary: binary,
        progress: { terminal.err($0) })
      print(image.reference)
    }
  }
}
