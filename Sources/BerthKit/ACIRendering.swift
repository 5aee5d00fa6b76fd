import BerthModel
import BerthTargetACI
import BerthTargetAPI
import BerthTargetKubernetes

/// `berth render` for a service on an aci target: the container group body apply would PUT, with the registry
/// password shown as `****` and the user name as the variable it comes from.
enum ACIRendering {
  static func render(
    _ deployment: ServiceDeployment, image: RenderedImage, imageSource: String, target: ComputeTargetSpec,
    registry: RegistryReference?
  ) throws -> RenderedService {
    let resolved: ACITarget
    do {
      resolved = try ACITarget.resolve(target.settings)
    } catch {
      throw RenderError("cannot render service '\(deployment.name)': \(error)")
    }
    let settings = ACIServiceSettings(deployment.settings, instance: deployment.instance, target: resolved)
    let reference: String
    switch image {
    case .built(let built): reference = built.reference
    case .reference(let text): reference = text
    case .placeholder: reference = RenderedImage.placeholderReference
    }
    let container = ContainerImage(
      reference: reference, digest: String(reference.split(separator: "@").last ?? ""), registry: registry?.address ?? "")
    var notes: [String] = []
    var credential: ContainerGroupRenderer.RegistryCredential?
    if let registry, registry.usernameEnv != nil || registry.passwordEnv != nil {
      credential = .init(server: registry.address, username: "$\(registry.usernameEnv ?? "?")", password: "****")
      notes.append(
        "registry credentials of \(registry.address) (from $\(registry.usernameEnv ?? "?") and $\(registry.passwordEnv ?? "?"), shown as ****)"
      )
    }
    notes.append("PUT \(resolved.resourceManager)\(resolved.containerGroupPath(deployment.instance))")
    let body = ContainerGroupRenderer.body(deployment, image: container, settings: settings, credential: credential)
    return RenderedService(
      objects: [], document: ContainerGroupRenderer.redactedJSON(body), imageSource: imageSource, notPrinted: notes)
  }
}
