import BerthGraph
import BerthModel
import BerthModelStore
import BerthPlan
import BerthState
import BerthTargetAPI

/// Builds the fully resolved `ServiceDeployment` a target needs from the graph, the action and the catalog.
struct ServiceResolver: Sendable {
  let graph: DesiredGraph
  let catalog: ModelCatalog

  /// The environment's variables, overridden by the service's `deployment.environment_variables`.
  func environmentVariables(_ environment: EnvironmentSpec, _ spec: ServiceSpec) -> [String: String] {
    var variables = environment.environmentVariables
    let prefix = "environment_variables."
    for (key, value) in spec.deployment where key.hasPrefix(prefix) {
      if case .string(let text) = value { variables[String(key.dropFirst(prefix.count))] = text }
    }
    return variables
  }

  func deployment(for action: PlannedAction) async throws -> ServiceDeployment {
    try await deployment(address: action.address, attributes: action.attributes)
  }

  /// `unregistered` supplies model versions a plan would register but the catalog does not hold yet (`berth build`).
  func deployment(
    address: ResourceAddress, attributes: Attributes, unregistered: (String, Int) -> DeployedModel? = { _, _ in nil }
  ) async throws -> ServiceDeployment {
    guard let resource = graph[address], case .service(let spec) = resource.spec,
      let config = graph.inferenceConfig(named: spec.inferenceConfig),
      let configResource = graph[ResourceAddress(.inferenceConfig, spec.inferenceConfig)],
      let environment = graph.environment(named: config.environment),
      let environmentResource = graph[ResourceAddress(.environment, config.environment)],
      let target = graph.computeTarget(of: spec)
    else {
      throw TargetError("\(address) is not fully declared in the manifests any more; plan again")
    }
    var models: [DeployedModel] = []
    if case .list(let items)? = attributes["models"] {
      for case .string(let item) in items {
        let parts = item.split(separator: ":").map(String.init)
        guard parts.count == 2, let version = Int(parts[1]) else { throw TargetError("model \(item) is not name:version") }
        if let record = await catalog.find(parts[0], version: version) {
          models.append(
            DeployedModel(
              name: record.name, version: record.version, sha256: record.sha256, storePath: record.storePath,
              basename: record.basename))
        } else if let model = unregistered(parts[0], version) {
          models.append(model)
        } else {
          throw TargetError("model \(item) is not registered; apply the model first")
        }
      }
    }
    guard case .string(let revision)? = attributes["revision"] else {
      throw TargetError("\(address) has no revision in its plan; plan again")
    }
    return ServiceDeployment(
      name: address.name, revision: revision, models: models,
      sourceDirectory: configResource.baseDirectory + "/" + config.sourceDirectory, entryScript: config.entryScript,
      condaFile: environmentResource.baseDirectory + "/" + environment.condaFile, environmentName: config.environment,
      environmentDigest: attributes["environment.sha256"].map { if case .string(let s) = $0 { s } else { "" } } ?? "",
      environmentVariables: environmentVariables(environment, spec),
      settings: spec.deployment, computeTargetName: spec.computeTarget, computeTarget: target, labels: resource.labels,
      environmentResolution: environment.resolution, endpoint: spec.endpoint, manifestDirectory: resource.baseDirectory)
  }
}
