import ArgumentParser
import BerthKit
import Foundation

/// `berth render`: the Kubernetes objects an apply would send for one service, like `helm template`, or the IoT Edge
/// deployment manifest of its device.
struct RenderCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "render",
    abstract: "Print what apply would send for a service: Kubernetes objects, IoT Edge manifest or ACI container group.",
    discussion: """
      Reads the manifests and the state, never the cluster. The image is --image when given, else the one \
      recorded at the service's last apply, else a placeholder marked berth.dev/image: placeholder. \
      The image pull Secret is never printed. For a service on an iotedge target: its device's deployment \
      manifest (JSON) with every service of that device, registry credentials shown as ****.
      """)

  @OptionGroup var manifests: ManifestOptions
  @Argument(help: "The service's name.") var service: String
  @Option(help: ArgumentHelp("Image to render instead of the recorded one.", valueName: "ref")) var image: String?
  @Flag(help: "Print a JSON array instead of YAML.") var json = false

  func run() async throws {
    try await UserErrors.report {
      let rendered = try await Reconciler.standard().render(
        path: manifests.path, overlays: manifests.overlay, service: service, imageReference: image)
      if rendered.document != nil {
        // JSON has no comments: where the image came from goes to standard error.
        var notes = "berth render: image: \(rendered.imageSource)\n"
        for line in rendered.notPrinted { notes += "berth render: \(line)\n" }
        FileHandle.standardError.write(Data(notes.utf8))
      }
      print(json ? rendered.json : rendered.yaml, terminator: "")
    }
  }
}
