/// Where a model's bytes come from and how it is described in the registry.
public struct ModelSpec: Hashable, Sendable {
  /// A file or folder, relative to the manifest's directory as written.
  public var path: String
  public var description: String?
  public var tags: [String: String]
  public var properties: [String: String]

  public init(path: String, description: String? = nil, tags: [String: String] = [:], properties: [String: String] = [:]) {
    self.path = path
    self.description = description
    self.tags = tags
    self.properties = properties
  }
}

/// A Python environment described by a conda file.
public struct EnvironmentSpec: Hashable, Sendable {
  public var condaFile: String
  public var environmentVariables: [String: String]
  public var description: String?
  /// `resolution`, `pip_constraints` and `solver`.
  public var resolution: EnvironmentResolution

  public init(
    condaFile: String, environmentVariables: [String: String] = [:], description: String? = nil,
    resolution: EnvironmentResolution = EnvironmentResolution()
  ) {
    self.condaFile = condaFile
    self.environmentVariables = environmentVariables
    self.description = description
    self.resolution = resolution
  }
}

/// A container registry and the names of the environment variables holding its credentials.
public struct RegistryReference: Hashable, Sendable {
  public var address: String
  public var usernameEnv: String?
  public var passwordEnv: String?
  public var insecure: Bool
  /// Exchange an Azure AD token for access (`azure_ad`); nil: only for Azure Container Registries without credentials.
  public var azureAD: Bool?

  public init(
    address: String, usernameEnv: String? = nil, passwordEnv: String? = nil, insecure: Bool = false, azureAD: Bool? = nil
  ) {
    self.address = address
    self.usernameEnv = usernameEnv
    self.passwordEnv = passwordEnv
    self.insecure = insecure
    self.azureAD = azureAD
  }
}

/// How to run the scoring code: source folder, entry script, runtime and environment.
public struct InferenceConfigSpec: Hashable, Sendable {
  public var sourceDirectory: String
  public var entryScript: String
  public var runtime: String
  public var environment: String
  public var baseImage: String?
  public var baseImageRegistry: RegistryReference?
  public var description: String?

  public init(
    sourceDirectory: String, entryScript: String, runtime: String = "python", environment: String,
    baseImage: String? = nil, baseImageRegistry: RegistryReference? = nil, description: String? = nil
  ) {
    self.sourceDirectory = sourceDirectory
    self.entryScript = entryScript
    self.runtime = runtime
    self.environment = environment
    self.baseImage = baseImage
    self.baseImageRegistry = baseImageRegistry
    self.description = description
  }
}

/// The kinds of place a service can run.
public enum ComputeType: String, Hashable, Sendable, CaseIterable, Codable {
  case local
  case kubernetes
  case aci
  case batch
  case iotedge

  /// Accepts the documented aliases (`aks` for `kubernetes`).
  public init?(manifestValue: String) {
    if manifestValue == "aks" {
      self = .kubernetes
    } else {
      self.init(rawValue: manifestValue)
    }
  }

  /// Whether services of this type always run from an image pushed to a registry (a `batch` target does only when
  /// it names a cluster: `ComputeTargetSpec.runsImages`).
  public var runsImages: Bool { self != .local && self != .batch }
}

/// A place services run: this machine, a Kubernetes cluster, ACI, a batch cluster or IoT Edge devices.
public struct ComputeTargetSpec: Hashable, Sendable {
  public var type: ComputeType
  /// Type-specific settings (`namespace`, `kubeconfig`, `context`, `api_server`, …) by manifest name.
  public var settings: [String: FieldValue]
  /// The Workspace registry the target's images come from, filled in when the target is provisioned (an AKS cluster
  /// Berth creates is given pull rights on it); not part of the manifest's compute target.
  public var registry: RegistryReference?

  public init(type: ComputeType, settings: [String: FieldValue] = [:], registry: RegistryReference? = nil) {
    self.type = type
    self.settings = settings
    self.registry = registry
  }

  public func string(_ key: String) -> String? {
    if case .string(let s)? = settings[key] { return s }
    return nil
  }

  /// The settings by which a `batch` target names a Kubernetes cluster to run its jobs on, as kubernetes targets do.
  public static let batchClusterKeys = ["kubeconfig", "context", "api_server", "namespace"]

  /// Whether a batch target runs its jobs on a Kubernetes cluster (an Indexed Job) rather than on this machine.
  public var runsBatchOnCluster: Bool {
    type == .batch && Self.batchClusterKeys.contains { settings[$0] != nil }
  }

  /// Whether services here run from an image pushed to a registry: every type but `local`, and `batch` on a cluster.
  public var runsImages: Bool { type.runsImages || runsBatchOnCluster }

  /// Whether services here run on this machine, in environments built here.
  public var runsOnThisMachine: Bool { !runsImages }
}

/// A model a service loads: by name (the newest version) or pinned `name:version`.
public struct ModelReference: Hashable, Sendable, CustomStringConvertible {
  public var name: String
  public var version: Int?

  public init(name: String, version: Int? = nil) {
    self.name = name
    self.version = version
  }

  /// Parses `diabetes-ridge` or `diabetes-ridge:3`; nil when the version is not a positive integer.
  public init?(parsing text: String) {
    let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
    if parts.count == 1 {
      self.init(name: text)
    } else {
      guard let version = Int(parts[1]), version > 0 else { return nil }
      self.init(name: String(parts[0]), version: version)
    }
  }

  public var description: String { version.map { "\(name):\($0)" } ?? name }
}

/// Settings that protect a resource or narrow what Berth compares.
public struct Lifecycle: Hashable, Sendable {
  public var preventDestroy: Bool
  /// Field paths (`deployment.num_replicas`) whose differences are not planned.
  public var ignoreChanges: [String]

  public init(preventDestroy: Bool = false, ignoreChanges: [String] = []) {
    self.preventDestroy = preventDestroy
    self.ignoreChanges = ignoreChanges
  }
}

/// A deployed scoring endpoint: which models, which inference config, where, with which settings.
public struct ServiceSpec: Hashable, Sendable {
  public var computeTarget: String
  public var models: [ModelReference]
  public var inferenceConfig: String
  /// The `Endpoint` this service is a deployment of, if any; such a service has no port of its own.
  public var endpoint: String?
  /// Deployment settings by their manifest name (`port`, `cpu_cores`, `autoscale_enabled`, …).
  public var deployment: [String: FieldValue]

  public init(
    computeTarget: String, models: [ModelReference], inferenceConfig: String, endpoint: String? = nil,
    deployment: [String: FieldValue] = [:]
  ) {
    self.computeTarget = computeTarget
    self.models = models
    self.inferenceConfig = inferenceConfig
    self.endpoint = endpoint
    self.deployment = deployment
  }

  public func int(_ key: String) -> Int? {
    if case .int(let i)? = deployment[key] { return i }
    return nil
  }

  public func double(_ key: String) -> Double? {
    switch deployment[key] {
    case .int(let i)?: Double(i)
    case .double(let d)?: d
    default: nil
    }
  }

  public func bool(_ key: String) -> Bool? {
    if case .bool(let b)? = deployment[key] { return b }
    return nil
  }
}

/// Where state, models, environments and images live. Optional: defaults apply without one.
public struct WorkspaceSpec: Hashable, Sendable {
  public static let defaultState = "sqlite:.berth/state.db"

  public var state: String
  public var modelStore: String
  public var environmentCache: String
  public var registry: RegistryReference?

  public init(
    state: String = WorkspaceSpec.defaultState, modelStore: String = ".berth/models",
    environmentCache: String = ".berth/environments", registry: RegistryReference? = nil
  ) {
    self.state = state
    self.modelStore = modelStore
    self.environmentCache = environmentCache
    self.registry = registry
  }
}
