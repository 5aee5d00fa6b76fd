import BerthGraph
import BerthModel
import BerthTargetAPI

/// Asks the image builder for a service's image: base image from its InferenceConfig, registry from the Workspace.
struct ImageBuild: Sendable {
  let graph: DesiredGraph
  let targets: Targets

  /// The repository a service's images go to, under the Workspace registry's address.
  static func repository(for service: String) -> String { "berth/\(service)" }

  func build(_ deployment: ServiceDeployment, progress: @escaping @Sendable (String) -> Void) async throws
    -> ImageBuildResponse
  {
    guard let builder = targets.imageBuilder else {
      throw TargetError(
        "this build of Berth cannot build images for compute target type '\(deployment.computeTarget.type.rawValue)'")
    }
    guard let registry = graph.workspace?.registry else {
      throw TargetError(
        "service '\(deployment.name)' needs an image but no Workspace names a registry\n  hint: add `registry: {address: …}` to a Workspace spec"
      )
    }
    guard case .service(let spec)? = graph[ResourceAddress(.service, deployment.name)]?.spec,
      let config = graph.inferenceConfig(named: spec.inferenceConfig)
    else { throw TargetError("service/\(deployment.name) is not fully declared in the manifests any more; plan again") }
    // The target's own layers (a batch job's runner and inputs), when it has any.
    var extraLayers: [ImageLayerContent] = []
    if let contributing = try? targets.provider(for: deployment.computeTarget.type) as? any ImageContributing {
      extraLayers = try contributing.imageLayers(for: deployment)
    }
    return try await builder.build(
      ImageBuildRequest(
        deployment: deployment, baseImage: config.baseImage, baseImageRegistry: config.baseImageRegistry,
        registry: registry, repository: Self.repository(for: deployment.name), extraLayers: extraLayers,
        progress: progress))
  }
}
