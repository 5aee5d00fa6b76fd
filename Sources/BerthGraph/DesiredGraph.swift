import BerthModel

/// The declared resources and the edges between them: a service needs its models, inference
/// config and compute target; an inference config needs its environment.
///
/// Built only from values; no IO. Edges point from a resource to what it depends on.
public struct DesiredGraph: Sendable {
  public private(set) var resources: [ResourceAddress: Resource]
  /// Resource → the resources it depends on.
  public private(set) var dependencies: [ResourceAddress: Set<ResourceAddress>]
  /// Dependencies before dependents; ties broken by address so output is stable.
  public private(set) var order: [ResourceAddress]

  init(resources: [ResourceAddress: Resource], dependencies: [ResourceAddress: Set<ResourceAddress>], order: [ResourceAddress]) {
    self.resources = resources
    self.dependencies = dependencies
    self.order = order
  }

  public subscript(address: ResourceAddress) -> Resource? { resources[address] }

  /// Resources that depend on `address` directly.
  public func dependents(of address: ResourceAddress) -> [ResourceAddress] {
    dependencies.filter { $0.value.contains(address) }.map(\.key).sorted()
  }

  public var workspace: WorkspaceSpec? {
    for resource in resources.values {
      if case .workspace(let spec) = resource.spec { return spec }
    }
    return nil
  }

  /// Resources of one kind, in graph order.
  public func resources(of kind: ResourceKind) -> [Resource] {
    order.filter { $0.kind == kind }.compactMap { resources[$0] }
  }

  /// The compute target a service runs on.
  public func computeTarget(of service: ServiceSpec) -> ComputeTargetSpec? {
    if case .computeTarget(let spec)? = resources[ResourceAddress(.computeTarget, service.computeTarget)]?.spec { return spec }
    return nil
  }

  /// The compute target an endpoint serves on.
  public func computeTarget(of endpoint: EndpointSpec) -> ComputeTargetSpec? {
    if case .computeTarget(let spec)? = resources[ResourceAddress(.computeTarget, endpoint.computeTarget)]?.spec { return spec }
    return nil
  }

  public func endpoint(named name: String) -> EndpointSpec? {
    if case .endpoint(let spec)? = resources[ResourceAddress(.endpoint, name)]?.spec { return spec }
    return nil
  }

  public func inferenceConfig(named name: String) -> InferenceConfigSpec? {
    if case .inferenceConfig(let spec)? = resources[ResourceAddress(.inferenceConfig, name)]?.spec { return spec }
    return nil
  }

  public func environment(named name: String) -> EnvironmentSpec? {
    if case .environment(let spec)? = resources[ResourceAddress(.environment, name)]?.spec { return spec }
    return nil
  }
}
