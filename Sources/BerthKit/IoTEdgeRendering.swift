import BerthGraph
import BerthModel
import BerthTargetAPI
import BerthTargetIoTEdge

/// `berth render` of a service on an iotedge target: the deployment manifest of its device, composed from every
/// service of the manifests on the same compute target and device, registry credentials masked (`****`).
///
/// Reads the manifests and the state, never the hub: modules on the device that Berth does not manage are not shown
/// (apply keeps them).
struct IoTEdgeRendering {
  let graph: DesiredGraph
  let resolved: (ResourceAddress) async throws -> (ServiceDeployment, Attributes)

  /// The placeholder a module names before any image was built (never applied: apply builds first).
  static let placeholderImage = "berth.invalid/image-not-built-yet:placeholder"

  func render(service address: ResourceAddress, computeTarget: String, imageReference: String?) async throws
    -> RenderedService
  {
    guard case .service(let spec)? = graph[address]?.spec, let device = IoTEdgeSettings(spec.deployment).deviceID else {
      throw RenderError("service '\(address.name)' names no device: set deployment.device_id")
    }
    // Every service of the same compute target and device, the named one included, in name order.
    let members = graph.resources(of: .service).filter { resource in
      guard case .service(let other) = resource.spec else { return false }
      return other.computeTarget == computeTarget && IoTEdgeSettings(other.deployment).deviceID == device
    }.map(\.address).sorted { $0.name < $1.name }
    var ttl = DeploymentManifest.defaultTimeToLiveSecs
    if case .computeTarget(let target)? = graph[ResourceAddress(.computeTarget, computeTarget)]?.spec,
      case .int(let value)? = target.settings["store_and_forward_ttl"]
    {
      ttl = value
    }
    var manifest = DeploymentManifest.base(timeToLiveSecs: ttl)
    var source = ""
    var placeholders: [String] = []
    for member in members {
      var (deployment, recorded) = try await resolved(member)
      let reference: String
      if member == address, let imageReference {
        reference = imageReference
        source = "\(imageReference) (--image)"
      } else if case .string(let recordedImage)? = recorded["image"] {
        reference = recordedImage
        if member == address { source = "\(recordedImage) (recorded at the last apply)" }
      } else {
        reference = Self.placeholderImage
        placeholders.append(member.name)
        if member == address { source = "placeholder: no image built yet; pass --image REF to render a real one" }
      }
      if let registry = graph.workspace?.registry {
        deployment.image = ContainerImage(
          reference: reference, digest: "", registry: registry.address, usernameEnv: registry.usernameEnv,
          passwordEnv: registry.passwordEnv)
      }
      do {
        try manifest.place(EdgeModule(deployment, imageReference: reference), environment: [:], maskCredentials: true)
      } catch {
        throw RenderError("cannot render service '\(member.name)': \(error)")
      }
    }
    var notes: [String] = []
    if let registry = graph.workspace?.registry, registry.usernameEnv != nil || registry.passwordEnv != nil {
      notes.append(
        "registry credentials of \(registry.address) (from $\(registry.usernameEnv ?? "?") and $\(registry.passwordEnv ?? "?"), shown as ****)"
      )
    }
    if !placeholders.isEmpty { notes.append("images not built yet: \(placeholders.joined(separator: ", "))") }
    return RenderedService(
      objects: [manifest.content], document: manifest.prettyJSON, imageSource: source, notPrinted: notes)
  }
}
