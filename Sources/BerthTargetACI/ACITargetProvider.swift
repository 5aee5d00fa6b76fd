import AsyncHTTPClient
import BerthAzure
import BerthGateway
import BerthModel
import BerthTargetAPI
import Foundation
import NIOConcurrencyHelpers

/// The `aci` compute target: each service is one Azure Container Instances container group, created, updated,
/// observed and deleted through Azure Resource Manager (`Microsoft.ContainerInstance/containerGroups`).
///
/// Credentials are Azure's `DefaultAzureCredential` chain read from `environment`; tokens are cached per Resource
/// Manager for the provider's life. Nothing secret (tokens, registry passwords) is returned, recorded or printed.
public struct ACITargetProvider: TargetProvider {
  let environment: [String: String]
  let http: HTTPClient
  let pollInterval: Duration
  private let credentials = NIOLockedValueBox<[String: DefaultAzureCredential]>([:])

  /// One HTTP client for every provider of this process (Resource Manager is one host per cloud).
  public static var sharedHTTP: HTTPClient { ARMClient.sharedHTTP }

  public init(
    environment: [String: String] = ProcessInfo.processInfo.environment, http: HTTPClient = ACITargetProvider.sharedHTTP,
    pollInterval: Duration = .seconds(5)
  ) {
    self.environment = environment
    self.http = http
    self.pollInterval = pollInterval
  }

  public var type: ComputeType { .aci }

  func arm(_ target: ACITarget) -> ARMClient {
    let cloud = AzureCloud.from(environment: environment, resourceManager: target.resourceManager)
    let credential = credentials.withLockedValue { cache in
      if let known = cache[target.resourceManager] { return known }
      let made = DefaultAzureCredential.from(environment: environment, cloud: cloud, http: http)
      cache[target.resourceManager] = made
      return made
    }
    return ARMClient(cloud: cloud, credential: credential, http: http, pollInterval: pollInterval)
  }

  /// Runs `body`, turning Azure's errors into target errors that carry ARM's code and message.
  func azure<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
    do {
      return try await body()
    } catch let error as ARMError {
      throw TargetError(
        "\(what): \(error)", isRetryable: error.status == 429 || error.status >= 500 || error.status == 409)
    } catch let error as AzureCredentialError {
      throw TargetError("\(what): \(error.message)")
    }
  }

  // MARK: - Validate

  /// The target's settings must resolve; the group name (the service's instance) and DNS label must be names ACI
  /// accepts. No IO.
  public func validate(_ request: ValidateRequest) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    let service = request.service
    let target: ACITarget
    do {
      target = try ACITarget.resolve(request.computeTarget.settings)
    } catch {
      return [.error("\(error)", at: service.location(of: "compute_target"))]
    }
    guard case .service(let spec) = service.spec else { return [] }
    let instance = ServiceInstance.name(service: service.address.name, outputs: request.recordedOutputs)
    let settings = ACIServiceSettings(spec.deployment, instance: instance, target: target)
    if !ACINames.isGroupName(instance) {
      diagnostics.append(
        .error(
          "service name '\(instance)' is not a valid ACI container group name", at: service.location,
          hint: "lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters"))
    }
    if !ACINames.isDNSLabel(settings.dnsNameLabel) {
      let field = spec.deployment["dns_name_label"] != nil ? "deployment.dns_name_label" : "compute_target"
      diagnostics.append(
        .error(
          "'\(settings.dnsNameLabel)' is not a valid ACI DNS name label", at: service.location(of: field),
          hint: "3 to 63 characters: a lowercase letter first, then lowercase letters, digits or '-', not ending in '-'"))
    }
    if settings.gatewayAuth != nil {
      if target.authSecretEnv == nil {
        diagnostics.append(
          .error(
            "auth_enabled on aci needs 'auth_secret_env' on compute target '\(spec.computeTarget)'",
            at: service.location(of: "deployment.auth_enabled"),
            hint: "name a variable holding a secret (16 characters or more): the gateway's keys are derived from it"))
      }
      if settings.port == ScoringImageLayout.port {
        diagnostics.append(
          .error(
            "port \(settings.port) is the scoring server's inside the container group; the gateway needs another",
            at: service.location(of: "deployment.port"), hint: "use the default 80, or any port but \(ScoringImageLayout.port)"))
      }
    }
    if settings.cpuCores > 4 || settings.memoryGB > 16 {
      diagnostics.append(
        .warning(
          "ACI offers at most 4 cores and 16 GB per container group in most regions; asked for \(settings.cpuCores) cores, \(settings.memoryGB) GB",
          at: service.location(of: settings.cpuCores > 4 ? "deployment.cpu_cores" : "deployment.memory_gb")))
    }
    return diagnostics
  }

  // MARK: - Observe

  /// One GET per service: ARM's list of container groups carries no instance view.
  public func observe(_ request: ObserveRequest) async throws -> ObserveResponse {
    let target = try ACITarget.resolve(request.computeTarget.settings)
    let client = arm(target)
    var response = ObserveResponse(services: [:])
    for service in request.services {
      let recordedTarget = (try? ACITarget.resolve(Self.recordedTarget(service.recordedOutputs))) ?? target
      let group = try await azure("reading container group \(service.instance)") {
        try await client.get(recordedTarget.containerGroupPath(service.instance), apiVersion: ContainerGroupRenderer.apiVersion)
      }
      response.backendCalls += 1
      var observation = ContainerGroupHealth.observation(group, name: service.instance)
      for key in ACITarget.recordedKeys {
        if let value = request.computeTarget.settings[key] { observation.attributes["target.\(key)"] = value }
      }
      response.services[service.name] = observation
    }
    return response
  }

  // MARK: - Apply

  public func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
    switch request.operation {
    case .deprovision(let name, let previous):
      var group = "?"
      if case .string(let text)? = previous["resource_group"] { group = text }
      return ApplyResponse(
        message: "compute target \(name) forgotten (resource group \(group) stays: it may hold more than Berth made)")
    case .provision(let name, let spec):
      let target = try ACITarget.resolve(spec.settings)
      return try await provision(name: name, target: target, progress: request.progress)
    case .deploy(let deployment):
      return try await ContainerGroupRollout(provider: self, deployment: deployment, progress: request.progress).run()
    case .update(let deployment, _):
      return try await ContainerGroupRollout(provider: self, deployment: deployment, progress: request.progress).run()
    case .delete(let name, let previous):
      let target = try ACITarget.resolve(Self.recordedTarget(previous))
      let instance = ServiceInstance.name(service: name, outputs: previous)
      try await azure("deleting container group \(instance)") {
        try await arm(target).delete(
          target.containerGroupPath(instance), apiVersion: ContainerGroupRenderer.apiVersion, progress: request.progress)
      }
      return ApplyResponse(message: "deleted container group \(instance) from \(target.resourceGroup)")
    case .publishEndpoint(let endpoint, _):
      throw TargetError("endpoint '\(endpoint.name)': no gateway serves endpoints on aci targets in this build")
    case .deleteEndpoint(let name, _):
      throw TargetError("endpoint '\(name)': no gateway serves endpoints on aci targets in this build")
    }
  }

  /// Makes sure the resource group exists (creating it in the target's location when it does not).
  func provision(name: String, target: ACITarget, progress: @escaping @Sendable (String) -> Void) async throws
    -> ApplyResponse
  {
    let created = try await azure("reading or creating resource group \(target.resourceGroup)") {
      try await arm(target).ensureResourceGroup(
        subscription: target.subscriptionID, name: target.resourceGroup, location: target.location,
        tags: ["managed-by": "berth", "berth.dev/compute-target": name], progress: progress)
    }
    return ApplyResponse(
      message: created
        ? "created resource group \(target.resourceGroup) in \(target.location)" : "resource group \(target.resourceGroup) exists"
    )
  }

  /// The target settings a service's outputs recorded (`target.subscription_id`, …).
  static func recordedTarget(_ outputs: Attributes) -> [String: FieldValue] {
    var settings: [String: FieldValue] = [:]
    for key in ACITarget.recordedKeys { settings[key] = outputs["target.\(key)"] }
    return settings
  }
}

/// The names ACI accepts.
enum ACINames {
  static func isGroupName(_ name: String) -> Bool {
    guard (1...63).contains(name.count), let first = name.first, let last = name.last else { return false }
    let allowed = name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    return allowed && first != "-" && last != "-"
  }

  static func isDNSLabel(_ label: String) -> Bool {
    guard (3...63).contains(label.count), let first = label.first, let last = label.last else { return false }
    return isGroupName(label) && first.isLetter && last != "-"
  }
}

extension ACITargetProvider: EndpointSecretStoring {
  /// The keys (or signing key) of a service's gateway, derived from the target's `auth_secret_env` secret and the
  /// group's resource id; the variable must be set (it is never recorded, only its name is).
  static func gatewaySecrets(target: ACITarget, resourceID: String, environment: [String: String]) throws -> (
    keys: EndpointKeys, signingKey: String
  ) {
    guard let variable = target.authSecretEnv else {
      throw TargetError(
        "auth on aci needs 'auth_secret_env' on the compute target: the variable holding the secret its keys derive from")
    }
    guard let secret = environment[variable], secret.count >= 16 else {
      throw TargetError("$\(variable) (auth_secret_env) is not set, or shorter than 16 characters")
    }
    return ACIGateway.secrets(secret: secret, resourceID: resourceID)
  }

  public func endpointSecrets(name: String, recorded: Attributes) async throws -> EndpointSecretMaterial {
    let target = try ACITarget.resolve(Self.recordedTarget(recorded))
    guard case .string(let resourceID)? = recorded["resource_id"] else {
      throw TargetError("'\(name)' has no recorded container group")
    }
    let secrets = try Self.gatewaySecrets(target: target, resourceID: resourceID, environment: environment)
    if recorded["auth_mode"] == .string(AuthMode.amlToken.rawValue) {
      return EndpointSecretMaterial(
        signingKey: secrets.signingKey, fingerprint: SecretFingerprint.of(signingKey: secrets.signingKey))
    }
    return EndpointSecretMaterial(
      primaryKey: secrets.keys.primaryKey, secondaryKey: secrets.keys.secondaryKey,
      fingerprint: SecretFingerprint.of(keys: secrets.keys))
  }

  public func regenerateEndpointKey(name: String, recorded: Attributes, keyType: String) async throws
    -> EndpointSecretMaterial
  {
    var variable = "auth_secret_env"
    if case .string(let name)? = recorded["target.auth_secret_env"] { variable = "$" + name }
    throw TargetError(
      "keys on aci are derived from \(variable): set it to a new secret and run berth apply to rotate both keys")
  }
}
