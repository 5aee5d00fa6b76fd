import BerthApply
import BerthGraph
import BerthModel
import BerthModelStore
import BerthPlan
import BerthState
import BerthTargetAPI
import Foundation

/// Performs planned actions for real: registers models, builds environments, calls target providers.
struct KitPerformer: ActionPerforming {
  let graph: DesiredGraph
  /// State as it was when the plan was made: what the old revisions and targets were.
  let recorded: StateSnapshot
  let targets: Targets
  let modelStore: ModelStore
  let catalog: ModelCatalog
  let now: @Sendable () -> Date

  func perform(_ action: PlannedAction, context: ActionContext) async throws -> ActionResult {
    if let old = action.movedFrom, action.address.kind == .model {
      await catalog.rename(from: old.name, to: action.address.name)
    }
    if action.kind == .move { return moved(action) }
    switch action.address.kind {
    case .model: return try await model(action)
    case .environment: return try await environment(action, context)
    case .computeTarget: return try await computeTarget(action, context)
    case .service: return try await service(action, context)
    case .endpoint: return try await endpoint(action, context)
    case .inferenceConfig, .workspace: return ActionResult(message: "recorded")
    }
  }

  /// Publishes an endpoint through its compute target's provider, or removes it.
  private func endpoint(_ action: PlannedAction, _ context: ActionContext) async throws -> ActionResult {
    let previous = previousRecord(action)
    if action.kind == .delete {
      guard let previous else { return ActionResult(message: "nothing recorded") }
      let response = try await provider(forRecorded: previous).apply(
        ApplyRequest(
          operation: .deleteEndpoint(name: action.address.name, previous: previous.outputs), progress: context.progress))
      return ActionResult(message: response.message, diagnostics: response.diagnostics)
    }
    guard let resource = graph[action.address], case .endpoint(let spec) = resource.spec,
      let target = graph.computeTarget(of: spec)
    else { throw TargetError("\(action.address) is not declared any more; plan again") }
    var endpoint = EndpointDeployment(
      name: action.address.name, spec: spec, computeTargetName: spec.computeTarget, computeTarget: target)
    if target.type == .kubernetes, spec.cluster.gatewayImage == nil, target.settings["gateway_image"] == nil {
      endpoint.gatewayImage = try await gatewayImage(for: target, context)
    }
    let response = try await targets.provider(for: target.type).apply(
      ApplyRequest(operation: .publishEndpoint(endpoint, previous: previous?.outputs), progress: context.progress))
    return ActionResult(outputs: response.outputs, message: response.message, diagnostics: response.diagnostics)
  }

  /// Builds and pushes the gateway image to the Workspace registry (the manifests name none).
  private func gatewayImage(for target: ComputeTargetSpec, _ context: ActionContext) async throws -> ContainerImage {
    guard let registry = graph.workspace?.registry else {
      throw TargetError("the gateway image needs a Workspace registry, or set 'gateway_image'; plan again")
    }
    guard let builder = targets.gatewayImageBuilder else {
      throw TargetError("this build of Berth cannot build the gateway image; set 'gateway_image'")
    }
    var base = "debian:bookworm-slim"
    if case .string(let text)? = target.settings["gateway_base_image"] { base = text }
    return try await builder.buildGatewayImage(
      baseImage: base, baseImageRegistry: nil, registry: registry, progress: context.progress)
  }

  /// The record that this action's resource had before: under its old name when it was renamed.
  private func previousRecord(_ action: PlannedAction) -> ResourceRecord? {
    recorded.resources[action.movedFrom ?? action.address]
  }

  /// A rename: the outputs carry over; a service keeps running under its instance name.
  private func moved(_ action: PlannedAction) -> ActionResult {
    let old = action.movedFrom ?? action.address
    var outputs = recorded.resources[old]?.outputs ?? [:]
    if action.address.kind == .service {
      outputs[ServiceInstance.outputKey] = .string(ServiceInstance.name(service: old.name, outputs: outputs))
    }
    return ActionResult(outputs: outputs, message: "renamed from \(old); nothing on the target changed")
  }

  private func model(_ action: PlannedAction) async throws -> ActionResult {
    switch action.kind {
    case .register:
      guard let resource = graph[action.address], case .model(let spec) = resource.spec,
        case .int(let version)? = action.attributes["version"]
      else { throw TargetError("\(action.address) is not declared any more; plan again") }
      let source = resource.baseDirectory + "/" + spec.path
      let record = try modelStore.register(
        name: action.address.name, version: version, source: source, description: spec.description, tags: spec.tags, at: now())
      guard case .string(record.sha256)? = action.attributes["content.sha256"] else {
        throw TargetError("model '\(action.address.name)' changed on disk after the plan was made; plan again")
      }
      await catalog.add(record)
      return ActionResult(
        outputs: ["version": .int(version), "store_path": .string(record.storePath)], modelVersion: record,
        message:
          "registered version \(version) (\(record.fileCount) file\(record.fileCount == 1 ? "" : "s"), \(record.sizeBytes) bytes)"
      )
    case .delete:
      return ActionResult(removedModel: action.address.name, message: "removed from the registry")
    default:
      return ActionResult(outputs: previousRecord(action)?.outputs ?? [:], message: "metadata recorded")
    }
  }

  private func environment(_ action: PlannedAction, _ context: ActionContext) async throws -> ActionResult {
    guard action.kind == .build else { return ActionResult(message: "recorded") }
    guard let builder = targets.environmentBuilder else {
      throw TargetError("this build of Berth cannot build local Python environments")
    }
    guard let resource = graph[action.address], case .environment(let spec) = resource.spec else {
      throw TargetError("\(action.address) is not declared any more; plan again")
    }
    let response = try await builder.build(
      EnvironmentBuildRequest(
        name: action.address.name, condaFile: resource.baseDirectory + "/" + spec.condaFile, resolution: spec.resolution,
        progress: context.progress))
    return ActionResult(outputs: response.outputs, message: response.message, diagnostics: response.diagnostics)
  }

  /// Provisions a compute target; a replace first removes what the old one created, a delete removes it (targets that
  /// create nothing answer that nothing was removed).
  private func computeTarget(_ action: PlannedAction, _ context: ActionContext) async throws -> ActionResult {
    var messages: [String] = []
    if action.kind == .replace || action.kind == .delete {
      guard let previous = previousRecord(action) else {
        if action.kind == .delete { return ActionResult(message: "nothing recorded") }
        throw TargetError("\(action.address) has no record to replace; plan again")
      }
      let recordedSettings = previous.attributes.merging(previous.outputs) { $1 }
      let response = try await provider(forComputeTarget: action.address).apply(
        ApplyRequest(
          operation: .deprovision(name: action.address.name, previous: recordedSettings), progress: context.progress))
      if action.kind == .delete { return ActionResult(message: response.message, diagnostics: response.diagnostics) }
      messages.append(response.message)
    }
    guard action.kind == .provision || action.kind == .replace else { return ActionResult(message: "recorded") }
    guard let resource = graph[action.address], case .computeTarget(var spec) = resource.spec else {
      throw TargetError("\(action.address) is not declared any more; plan again")
    }
    spec.registry = graph.workspace?.registry
    let response = try await targets.provider(for: spec.type).apply(
      ApplyRequest(operation: .provision(name: action.address.name, spec), progress: context.progress))
    return ActionResult(
      outputs: response.outputs, message: (messages + [response.message]).joined(separator: "; "),
      diagnostics: response.diagnostics)
  }

  /// The provider of a compute target as it was recorded (its type may have changed, or it may be gone).
  private func provider(forComputeTarget address: ResourceAddress) throws -> any TargetProvider {
    if case .string(let type)? = recorded.resources[address]?.attributes["type"], let computeType = ComputeType(rawValue: type) {
      return try targets.provider(for: computeType)
    }
    if case .computeTarget(let spec)? = graph[address]?.spec { return try targets.provider(for: spec.type) }
    throw TargetError("compute target '\(address.name)' has no recorded type")
  }

  /// Carries out the steps the planner chose, in order; decides nothing itself.
  private func service(_ action: PlannedAction, _ context: ActionContext) async throws -> ActionResult {
    guard action.kind == .move || !action.steps.isEmpty else {
      throw TargetError("this plan has no rollout steps for \(action.address) (saved by an older Berth); run berth plan again")
    }
    let previous = previousRecord(action)
    let previousOutputs = previous?.outputs ?? [:]
    let previousName = (action.movedFrom ?? action.address).name
    let resolver = ServiceResolver(graph: graph, catalog: catalog)
    var deployment: ServiceDeployment?
    func desired() async throws -> ServiceDeployment {
      if let deployment { return deployment }
      return try await resolver.deployment(for: action)
    }
    var imageOutputs: Attributes = [:]
    var response: ApplyResponse?
    for step in action.steps {
      switch step {
      case .buildImage:
        // Before anything is torn down: a failed build leaves the old service running.
        var built = try await desired()
        let image = try await ImageBuild(graph: graph, targets: targets).build(built, progress: context.progress)
        built.image = image.image
        // A service with its own key check in a cluster gets its own gateway, and so a gateway image.
        // On aci, the gateway is a second container of the group.
        if built.computeTarget.type == .kubernetes || built.computeTarget.type == .aci, built.wantsOwnAuth,
          built.computeTarget.settings["gateway_image"] == nil
        {
          built.gatewayImage = try await gatewayImage(for: built.computeTarget, context)
        }
        deployment = built
        imageOutputs = image.outputs
      case .deleteOld:
        try await provider(forRecorded: previous).apply(
          ApplyRequest(operation: .delete(name: previousName, previous: previousOutputs), progress: context.progress))
      case .deploy:
        let new = try await desired()
        response = try await targets.provider(for: new.computeTarget.type).apply(
          ApplyRequest(operation: .deploy(new), progress: context.progress))
      case .rollOut:
        var new = try await desired()
        new.instance = ServiceInstance.name(service: previousName, outputs: previousOutputs)
        response = try await targets.provider(for: new.computeTarget.type).apply(
          ApplyRequest(operation: .update(new, previous: previousOutputs), progress: context.progress))
      }
    }
    guard let response else { return ActionResult(message: "deleted") }
    return ActionResult(
      outputs: response.outputs.merging(imageOutputs) { $1 }, message: response.message, diagnostics: response.diagnostics)
  }

  /// The provider of the compute target a service or endpoint was recorded on (which may be gone from the manifests).
  private func provider(forRecorded record: ResourceRecord?) throws -> any TargetProvider {
    guard let record, case .string(let targetName)? = record.attributes["compute_target"] else {
      throw TargetError("no record of where this runs")
    }
    let address = ResourceAddress(.computeTarget, targetName)
    if case .computeTarget(let spec)? = graph[address]?.spec { return try targets.provider(for: spec.type) }
    if case .string(let type)? = recorded.resources[address]?.attributes["type"], let computeType = ComputeType(rawValue: type) {
      return try targets.provider(for: computeType)
    }
    throw TargetError("compute target '\(targetName)' is unknown")
  }
}
