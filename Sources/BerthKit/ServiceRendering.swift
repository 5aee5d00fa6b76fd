import BerthModel
import BerthModelStore
import BerthPlan
import BerthState
import BerthTargetAPI
import BerthTargetKubernetes
import Foundation

/// What `berth render` prints: the Kubernetes objects an apply of one service would send, the IoT Edge deployment
/// manifest of its device, or its ACI container group.
public struct RenderedService: Sendable {
  public var objects: [JSONValue]
  /// A service on an iotedge target: its device's deployment manifest; on an aci target: its container group's PUT
  /// body. Indented JSON, credentials masked; `yaml` and `json` are both this text (JSON is YAML).
  public var document: String?
  /// Where the image came from: `--image`, the state, or a placeholder.
  public var imageSource: String
  /// Objects apply also sends but that are not printed (the pull Secret holds credentials).
  public var notPrinted: [String]

  /// The objects as a YAML stream, preceded by comments saying where the image came from.
  public var yaml: String {
    if let document { return document }
    var header = "# Rendered by berth; image: \(imageSource)\n"
    for line in notPrinted { header += "# not printed: \(line)\n" }
    return header + ObjectOutput.yaml(objects)
  }

  public var json: String {
    if let document { return document }
    return "[" + objects.map(ObjectOutput.json).joined(separator: ",") + "]\n"
  }
}

extension Reconciler {
  /// Renders a kubernetes service (the manifest of an iotedge service's device, an aci service's container group) from the manifests as the next apply would deploy it. Reads state, never the cluster.
  ///
  /// The image is `imageReference` when given, else the one recorded at the service's last apply, else a
  /// placeholder marked `berth.dev/image: placeholder` (the objects stay valid; apply never sends it).
  public func render(path: String, overlays: [String] = [], service: String, imageReference: String? = nil) async throws
    -> RenderedService
  {
    let (prepared, diagnostics) = try await prepare(path: path, overlays: overlays, observe: false, access: .read)
    guard let context = prepared else {
      throw RenderError(
        "the manifests have errors:\n" + diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "\n"))
    }
    let address = ResourceAddress(.service, service)
    guard let resource = context.input.graph[address], case .service(let spec) = resource.spec,
      let target = context.input.graph.computeTarget(of: spec)
    else {
      let known = context.input.graph.resources(of: .service).map(\.address.name).sorted().joined(separator: ", ")
      throw RenderError("no service '\(service)' in the manifests; services: \(known.isEmpty ? "none" : known)")
    }
    guard [.kubernetes, .iotedge, .aci].contains(target.type) else {
      throw RenderError(
        "service '\(service)' runs on compute target '\(spec.computeTarget)' of type \(target.type.rawValue); render shows kubernetes objects, IoT Edge manifests and ACI container groups only"
      )
    }
    let (desired, _) = DesiredState.build(context.input)
    guard desired[address]?.attributes != nil else { throw RenderError("service '\(service)' has no desired state") }
    // Models this apply would register are not in the catalog yet: stand in their planned version and digest.
    var versions = context.input.state.modelVersions
    for (modelAddress, model) in desired where modelAddress.kind == .model {
      guard case .int(let version)? = model.attributes["version"], case .string(let sha)? = model.attributes["content.sha256"],
        !(versions[modelAddress.name] ?? []).contains(where: { $0.version == version })
      else { continue }
      versions[modelAddress.name, default: []].append(
        ModelVersionRecord(
          name: modelAddress.name, version: version, sha256: sha, storePath: "", basename: "", sizeBytes: 0, fileCount: 0,
          registeredAt: now()))
    }
    let resolver = ServiceResolver(graph: context.input.graph, catalog: ModelCatalog(versions))
    /// A service as the next apply would deploy it, under the name its target knows it by, with its recorded outputs.
    func resolved(_ address: ResourceAddress) async throws -> (ServiceDeployment, Attributes) {
      guard let attributes = desired[address]?.attributes else {
        throw RenderError("service '\(address.name)' has no desired state")
      }
      var deployment = try await resolver.deployment(address: address, attributes: attributes)
      let recorded = context.input.state.resources[address]?.outputs ?? [:]
      deployment.instance = ServiceInstance.name(service: address.name, outputs: recorded)
      return (deployment, recorded)
    }
    if target.type == .iotedge {
      return try await IoTEdgeRendering(graph: context.input.graph, resolved: resolved).render(
        service: address, computeTarget: spec.computeTarget, imageReference: imageReference)
    }
    let (deployment, recorded) = try await resolved(address)
    let image: RenderedImage
    let source: String
    if let imageReference {
      (image, source) = (.reference(imageReference), "\(imageReference) (--image)")
    } else if case .string(let reference)? = recorded["image"] {
      (image, source) = (.reference(reference), "\(reference) (recorded at the last apply)")
    } else {
      (image, source) = (.placeholder, "placeholder: no image built yet; pass --image REF to render a real one")
    }
    if target.type == .aci {
      return try ACIRendering.render(
        deployment, image: image, imageSource: source, target: target, registry: context.input.graph.workspace?.registry)
    }
    let namespace = ClusterConnection.namespace(of: target.settings)
    var notPrinted: [String] = []
    var pullSecret: String?
    if let registry = context.input.graph.workspace?.registry, registry.usernameEnv != nil || registry.passwordEnv != nil {
      pullSecret = PullSecret.name(forRegistry: registry.address)
      notPrinted.append(
        "Secret \(namespace)/\(PullSecret.name(forRegistry: registry.address)) (image pull credentials from $\(registry.usernameEnv ?? "?") and $\(registry.passwordEnv ?? "?"))"
      )
    }
    return RenderedService(
      objects: KubernetesRenderer.render(deployment, image: image, namespace: namespace, pullSecret: pullSecret),
      imageSource: source,
      notPrinted: notPrinted)
  }
}

/// Why a service cannot be rendered.
public struct RenderError: Error, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}
