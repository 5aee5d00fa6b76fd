/// The typed specification of one resource.
public enum ResourceSpec: Hashable, Sendable {
  case workspace(WorkspaceSpec)
  case model(ModelSpec)
  case environment(EnvironmentSpec)
  case inferenceConfig(InferenceConfigSpec)
  case computeTarget(ComputeTargetSpec)
  case endpoint(EndpointSpec)
  case service(ServiceSpec)

  public var kind: ResourceKind {
    switch self {
    case .workspace: .workspace
    case .model: .model
    case .environment: .environment
    case .inferenceConfig: .inferenceConfig
    case .computeTarget: .computeTarget
    case .endpoint: .endpoint
    case .service: .service
    }
  }
}

/// One declared resource: identity, metadata, typed spec, and where it was written.
public struct Resource: Hashable, Sendable {
  public var address: ResourceAddress
  public var labels: [String: String]
  /// Explicit ordering edges beyond the references a spec implies (`metadata.depends_on`).
  public var dependsOn: [ResourceAddress]
  /// Names this resource had before; a rename keeps the running thing.
  public var previousNames: [String]
  public var lifecycle: Lifecycle
  public var spec: ResourceSpec
  /// The document's `kind:` line.
  public var location: SourceLocation
  /// Field path → where its value was written, for diagnostics after loading.
  public var fieldLocations: [String: SourceLocation]
  /// The manifest file's directory, absolute; relative paths in the spec start here.
  public var baseDirectory: String

  public init(
    address: ResourceAddress, labels: [String: String] = [:], dependsOn: [ResourceAddress] = [],
    previousNames: [String] = [], lifecycle: Lifecycle = Lifecycle(), spec: ResourceSpec,
    location: SourceLocation, fieldLocations: [String: SourceLocation] = [:], baseDirectory: String
  ) {
    self.address = address
    self.labels = labels
    self.dependsOn = dependsOn
    self.previousNames = previousNames
    self.lifecycle = lifecycle
    self.spec = spec
    self.location = location
    self.fieldLocations = fieldLocations
    self.baseDirectory = baseDirectory
  }

  /// The location of a field, falling back to the document.
  public func location(of fieldPath: String) -> SourceLocation {
    fieldLocations[fieldPath] ?? location
  }
}
