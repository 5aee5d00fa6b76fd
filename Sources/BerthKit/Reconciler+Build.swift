import BerthGraph
import BerthImage
import BerthModel
import BerthModelStore
import BerthPlan
import BerthState
import BerthTargetAPI
import Foundation

/// Why `berth build` could not start.
public enum BuildError: Error, CustomStringConvertible, Equatable {
  case invalidManifests([Diagnostic])
  case unknownService(String, known: [String])
  case localService(String)
  /// A service on a batch target: its job runs on this machine, in its Environment's Python.
  case batchService(String)

  public var description: String {
    switch self {
    case .invalidManifests(let diagnostics):
      diagnostics.filter { $0.severity == .error }.map(\.description).joined(separator: "\n")
    case .unknownService(let name, let known):
      "no service '\(name)' in the manifests"
        + (known.isEmpty ? "" : "\n  hint: services: \(known.joined(separator: ", "))")
    case .localService(let name):
      "service '\(name)' runs on a local compute target, which runs no image\n  hint: `berth build` is for services on container targets (kubernetes, aci, batch, iotedge)"
    case .batchService(let name):
      "service '\(name)' runs on a batch compute target that names no cluster: its jobs run on this machine without an image\n  hint: `berth build` is for services on container targets (kubernetes, aci, iotedge, batch with a kubeconfig/context/namespace)"
    }
  }
}

extension Reconciler {
  /// Builds and pushes one service's image outside an apply; state is read, never written.
  ///
  /// Models the plan would register next are taken from their manifest paths with the version they will get, so
  /// the image is the one `apply` would push.
  public func buildImage(
    service name: String, path: String, overlays: [String] = [], progress: @escaping @Sendable (String) -> Void
  )
    async throws -> ImageBuildResponse
  {
    let validation = Validation.run(path: path, overlays: overlays)
    guard validation.isValid else { throw BuildError.invalidManifests(validation.diagnostics) }
    let address = ResourceAddress(.service, name)
    guard case .service(let spec)? = validation.graph[address]?.spec else {
      throw BuildError.unknownService(name, known: validation.graph.resources(of: .service).map(\.address.name).sorted())
    }
    guard let target = validation.graph.computeTarget(of: spec), target.type != .local else {
      throw BuildError.localService(name)
    }
    guard target.runsImages else { throw BuildError.batchService(name) }
    let workspace = try Workspace.resolve(validation.graph.workspace, root: validation.manifests.root)
    let store = try openState(workspace.state, .read)
    let (context, _) = try await prepare(validation: validation, workspace: workspace, store: store, observe: false)
    let (desired, _) = DesiredState.build(context.input)
    guard let attributes = desired[address]?.attributes else { throw BuildError.unknownService(name, known: []) }
    let graph = validation.graph
    let digests = context.input.contentDigests
    let resolver = ServiceResolver(graph: graph, catalog: ModelCatalog(context.input.state.modelVersions))
    let deployment = try await resolver.deployment(address: address, attributes: attributes) { model, version in
      let modelAddress = ResourceAddress(.model, model)
      guard let resource = graph[modelAddress], case .model(let modelSpec) = resource.spec,
        let digest = digests[modelAddress]
      else { return nil }
      let source = resource.baseDirectory + "/" + modelSpec.path
      return DeployedModel(
        name: model, version: version, sha256: digest, storePath: (source as NSString).deletingLastPathComponent,
        basename: (source as NSString).lastPathComponent)
    }
    return try await ImageBuild(graph: graph, targets: targets(workspace)).build(deployment, progress: progress)
  }
}

extension Reconciler {
  /// Builds the gateway image from `binary` (default: the running `berth`) on `baseImage` and pushes it to the
  /// Workspace registry as `berth/gateway`; the reference by digest, for an Endpoint's `gateway_image`.
  public func buildGatewayImage(
    path: String, overlays: [String] = [], baseImage: String, binary: String? = nil,
    progress: @escaping @Sendable (String) -> Void
  ) async throws -> ContainerImage {
    let validation = Validation.run(path: path, overlays: overlays)
    guard validation.isValid else { throw BuildError.invalidManifests(validation.diagnostics) }
    guard let registry = validation.graph.workspace?.registry else {
      throw TargetError(
        "the gateway image needs a registry but no Workspace names one\n  hint: add `registry: {address: …}` to a Workspace spec")
    }
    let workspace = try Workspace.resolve(validation.graph.workspace, root: validation.manifests.root)
    var builder = GatewayImageBuilder(cacheDirectory: workspace.imageCache)
    builder.registryExchange = Composition.registryExchange()
    do {
      return try await builder.build(
        GatewayImageBuilder.Request(
          binary: binary ?? Composition.currentExecutable(), baseImage: baseImage, baseImageRegistry: nil,
          registry: registry),
        progress: progress)
    } catch let error as RegistryError {
      throw TargetError(error.description, isRetryable: error.isRetryable)
    } catch let error as ImageBuildError {
      throw TargetError(error.description, isRetryable: error.isRetryable)
    }
  }
}
