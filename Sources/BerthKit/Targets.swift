import BerthModel
import BerthTargetAPI

/// The target providers, environment builder and image builder an apply can use, by compute target type.
public struct Targets: Sendable {
  public var providers: [ComputeType: any TargetProvider]
  public var environmentBuilder: (any EnvironmentBuilding)?
  /// Builds and pushes the images of services on targets that run containers (every type but `local`).
  public var imageBuilder: (any ImageBuilding)?
  /// Builds the gateway image of endpoints on container targets whose manifests name no `gateway_image`.
  public var gatewayImageBuilder: (any GatewayImageBuilding)?

  public init(
    providers: [any TargetProvider], environmentBuilder: (any EnvironmentBuilding)? = nil,
    imageBuilder: (any ImageBuilding)? = nil, gatewayImageBuilder: (any GatewayImageBuilding)? = nil
  ) {
    self.providers = Dictionary(providers.map { ($0.type, $0) }, uniquingKeysWith: { first, _ in first })
    self.environmentBuilder = environmentBuilder
    self.imageBuilder = imageBuilder
    self.gatewayImageBuilder = gatewayImageBuilder
  }

  public func provider(for type: ComputeType) throws -> any TargetProvider {
    guard let provider = providers[type] else {
      throw TargetError(
        "no provider for compute target type '\(type.rawValue)' in this build of Berth; supported: "
          + providers.keys.map(\.rawValue).sorted().joined(separator: ", "))
    }
    return provider
  }
}
