import BerthModel
import Foundation

/// A model version as a target sees it: where its bytes are and where they must appear.
public struct DeployedModel: Hashable, Sendable, Codable {
  public var name: String
  public var version: Int
  public var sha256: String
  /// Absolute folder in the model store holding `basename`.
  public var storePath: String
  /// The registered file's or folder's name.
  public var basename: String

  public init(name: String, version: Int, sha256: String, storePath: String, basename: String) {
    self.name = name
    self.version = version
    self.sha256 = sha256
    self.storePath = storePath
    self.basename = basename
  }
}

/// Everything a target needs to run one revision of a service, with every reference resolved.
public struct ServiceDeployment: Hashable, Sendable {
  public var name: String
  /// The name the target knows the service by (runtime folder, Kubernetes object name). It is the service's
  /// name when first deployed and stays the same when the service is renamed (`metadata.previous_names`).
  public var instance: String
  /// A digest of every input below: equal revisions are interchangeable.
  public var revision: String
  public var models: [DeployedModel]
  /// Absolute path of the source directory.
  public var sourceDirectory: String
  /// Entry script, relative to `sourceDirectory`.
  public var entryScript: String
  /// Absolute path of the conda file.
  public var condaFile: String
  public var environmentName: String
  public var environmentDigest: String
  /// The Environment's `resolution`, `pip_constraints` and `solver`.
  public var environmentResolution: EnvironmentResolution
  public var environmentVariables: [String: String]
  /// Deployment settings by manifest name.
  public var settings: [String: FieldValue]
  public var computeTargetName: String
  public var computeTarget: ComputeTargetSpec
  public var labels: [String: String]
  /// The image to run, for targets that run containers; `nil` for the local target. Filled in by the image build.
  public var image: ContainerImage?
  /// The endpoint the service is a deployment of (`Service.spec.endpoint`); nil for a service with its own address.
  public var endpoint: String?
  /// The gateway image Berth built for a service with its own gateway in a cluster (`auth_enabled` without an endpoint).
  public var gatewayImage: ContainerImage?

  /// Whether the service asks for a key or token check of its own: `auth_enabled` or `token_auth_enabled` set true
  /// and no endpoint in front of it (an endpoint's `auth_mode` governs its deployments).
  public var wantsOwnAuth: Bool {
    guard endpoint == nil else { return false }
    return settings["auth_enabled"] == .bool(true) || settings["token_auth_enabled"] == .bool(true)
  }
  /// Absolute folder of the service's manifest, where relative settings (`input_path`, `output_path`) start.
  public var manifestDirectory: String?

  public init(
    name: String, revision: String, models: [DeployedModel], sourceDirectory: String, entryScript: String,
    condaFile: String, environmentName: String, environmentDigest: String, environmentVariables: [String: String] = [:],
    settings: [String: FieldValue], computeTargetName: String, computeTarget: ComputeTargetSpec, labels: [String: String] = [:],
    image: ContainerImage? = nil, instance: String? = nil, environmentResolution: EnvironmentResolution = EnvironmentResolution(),
    endpoint: String? = nil, manifestDirectory: String? = nil
  ) {
    self.endpoint = endpoint
    self.manifestDirectory = manifestDirectory
    self.environmentResolution = environmentResolution
    self.name = name
    self.instance = instance ?? name
    self.revision = revision
    self.models = models
    self.sourceDirectory = sourceDirectory
    self.entryScript = entryScript
    self.condaFile = condaFile
    self.environmentName = environmentName
    self.environmentDigest = environmentDigest
    self.environmentVariables = environmentVariables
    self.settings = settings
    self.computeTargetName = computeTargetName
    self.computeTarget = computeTarget
    self.labels = labels
    self.image = image
  }
}

/// A target-specific validation request.
public struct ValidateRequest: Sendable {
  public var service: Resource
  public var computeTarget: ComputeTargetSpec
  /// The service's outputs from its last apply (empty when it was never applied): its instance, port…
  public var recordedOutputs: Attributes

  public init(service: Resource, computeTarget: ComputeTargetSpec, recordedOutputs: Attributes = [:]) {
    self.service = service
    self.computeTarget = computeTarget
    self.recordedOutputs = recordedOutputs
  }
}

/// A service Berth recorded on a target, to be observed.
public struct ObservedService: Hashable, Sendable {
  public var name: String
  /// Outputs recorded at the last apply (pid, port, revision…).
  public var recordedOutputs: Attributes

  public init(name: String, recordedOutputs: Attributes) {
    self.name = name
    self.recordedOutputs = recordedOutputs
  }

  /// The name the target knows this service by (see `ServiceDeployment.instance`).
  public var instance: String { ServiceInstance.name(service: name, outputs: recordedOutputs) }
}

/// The target-side name of a service, recorded in its outputs as `instance` so that renames keep what runs.
public enum ServiceInstance {
  /// The output key holding the instance name.
  public static let outputKey = "instance"

  /// The recorded instance name, or the service's own name for records written before renames existed.
  public static func name(service: String, outputs: Attributes) -> String {
    if case .string(let instance)? = outputs[outputKey], !instance.isEmpty { return instance }
    return service
  }
}

/// Observe every recorded service (and endpoint) of one compute target in one call.
public struct ObserveRequest: Sendable {
  public var computeTargetName: String
  public var computeTarget: ComputeTargetSpec
  public var services: [ObservedService]
  /// Recorded endpoints of this target, by name with their recorded outputs (`ObservedService` values).
  public var endpoints: [ObservedService]

  public init(
    computeTargetName: String, computeTarget: ComputeTargetSpec, services: [ObservedService],
    endpoints: [ObservedService] = []
  ) {
    self.computeTargetName = computeTargetName
    self.computeTarget = computeTarget
    self.services = services
    self.endpoints = endpoints
  }
}

/// What runs for one service, as the target sees it.
public struct Observation: Hashable, Sendable, Codable {
  public var health: Health
  /// The revision really running, when the target can tell.
  public var revision: String?
  /// Why the health is what it is ("process 4242 is not running").
  public var message: String
  /// Other observed values Berth manages (replicas, image digest…).
  public var attributes: Attributes

  public init(health: Health, revision: String? = nil, message: String = "", attributes: Attributes = [:]) {
    self.health = health
    self.revision = revision
    self.message = message
    self.attributes = attributes
  }
}

/// Observations by service name (and by endpoint name).
public struct ObserveResponse: Sendable {
  public var services: [String: Observation]
  /// Observations of the request's endpoints, by name.
  public var endpoints: [String: Observation]
  /// How many calls the provider made to its backend (drift checks stay O(1) per kind).
  public var backendCalls: Int
  /// What the user should know about this observation (a setting the target could not read back…); shown with the plan.
  public var diagnostics: [Diagnostic]
  /// The compute target itself, for targets that create it (a managed cluster): missing when it was deleted outside
  /// Berth, degraded (with what differs in `message`) when it was changed outside Berth; nil when not observed.
  public var computeTarget: Observation?

  public init(
    services: [String: Observation], endpoints: [String: Observation] = [:], backendCalls: Int = 0,
    diagnostics: [Diagnostic] = []
  ) {
    self.services = services
    self.endpoints = endpoints
    self.backendCalls = backendCalls
    self.diagnostics = diagnostics
  }
}

/// What to change on the target.
public enum ApplyOperation: Hashable, Sendable {
  case provision(name: String, ComputeTargetSpec)
  case deploy(ServiceDeployment)
  /// Start the new revision, wait for health, then retire the old one.
  case update(ServiceDeployment, previous: Attributes)
  case delete(name: String, previous: Attributes)
  /// Remove what `provision` created for a compute target (its replacement, or its removal from the manifests);
  /// `previous` holds its recorded settings and outputs. Targets that create nothing answer without a change.
  case deprovision(name: String, previous: Attributes)
  /// Create or change an endpoint: its address, auth mode and traffic split (its deployments join it when they deploy).
  case publishEndpoint(EndpointDeployment, previous: Attributes?)
  /// Remove an endpoint whose deployments are already gone.
  case deleteEndpoint(name: String, previous: Attributes)
}

/// An endpoint as a target receives it: its spec with the compute target resolved.
public struct EndpointDeployment: Hashable, Sendable {
  public var name: String
  public var spec: EndpointSpec
  public var computeTargetName: String
  public var computeTarget: ComputeTargetSpec
  /// The gateway image Berth built and pushed for this apply (container targets, when the manifests name none).
  public var gatewayImage: ContainerImage?

  public init(
    name: String, spec: EndpointSpec, computeTargetName: String, computeTarget: ComputeTargetSpec,
    gatewayImage: ContainerImage? = nil
  ) {
    self.name = name
    self.spec = spec
    self.computeTargetName = computeTargetName
    self.computeTarget = computeTarget
    self.gatewayImage = gatewayImage
  }
}

/// One change, with a sink for progress lines ("building environment…").
public struct ApplyRequest: Sendable {
  public var operation: ApplyOperation
  public var progress: @Sendable (String) -> Void

  public init(operation: ApplyOperation, progress: @escaping @Sendable (String) -> Void = { _ in }) {
    self.operation = operation
    self.progress = progress
  }
}

/// What the target reports after a change: values to record (pid, port, scoring URI…), and warnings about it.
///
/// A change that failed throws `TargetError`; one that succeeded with something the user should know (a setting
/// the target accepted but cannot honour, a slow rollout) says so in `diagnostics`, as Terraform's provider
/// responses do.
public struct ApplyResponse: Sendable {
  public var outputs: Attributes
  public var message: String
  public var diagnostics: [Diagnostic]

  public init(outputs: Attributes = [:], message: String = "", diagnostics: [Diagnostic] = []) {
    self.outputs = outputs
    self.message = message
    self.diagnostics = diagnostics
  }
}
