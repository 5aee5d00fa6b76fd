import BerthModel
import BerthTargetAPI
import Foundation

/// The `iotedge` compute target: each service is a module in its device's IoT Edge deployment manifest.
///
/// Talks to IoT Hub's service REST API with SAS tokens from the connection string in the variable the compute
/// target names: `applyConfigurationContent` for the device (the whole manifest: this service's module changed,
/// the others kept), the `$edgeAgent` module twin to observe (its reported `runtimeStatus`, exit code, and whether
/// the device applied the desired version). Deleting a service applies the manifest without its module.
public struct IoTEdgeTargetProvider: TargetProvider {
  /// Where the connection string and registry credentials are read.
  let environment: [String: String]
  public let timings: IoTEdgeTimings
  let locks = DeviceLocks()

  public init(environment: [String: String] = ProcessInfo.processInfo.environment, timings: IoTEdgeTimings = .init()) {
    self.environment = environment
    self.timings = timings
  }

  public var type: ComputeType { .iotedge }

  func connection(_ settings: [String: FieldValue]) throws -> HubConnection {
    do {
      return try HubConnection.resolve(settings, environment: environment)
    } catch let error as IoTEdgeError {
      throw error.targetError
    }
  }

  /// Runs `body` with a client for `settings`, mapping hub errors to target errors, and always closes it.
  func withClient<T: Sendable>(_ settings: [String: FieldValue], _ body: (IoTHubClient) async throws -> T) async throws -> T {
    let client = IoTHubClient(try connection(settings))
    do {
      let result = try await body(client)
      await client.shutdown()
      return result
    } catch let error as IoTEdgeError {
      await client.shutdown()
      throw error.targetError
    } catch {
      await client.shutdown()
      throw error
    }
  }

  /// The compute target's connection settings as recorded with a service (`target.*`).
  static func recordedSettings(_ outputs: Attributes) -> [String: FieldValue] {
    var settings: [String: FieldValue] = [:]
    for key in HubConnection.settingKeys { settings[key] = outputs["target.\(key)"] }
    return settings
  }

  static func text(_ value: FieldValue?) -> String? {
    if case .string(let text)? = value, !text.isEmpty { return text }
    return nil
  }

  static func int(_ value: FieldValue?) -> Int? {
    if case .int(let number)? = value { return number }
    return nil
  }

  // MARK: - Validate

  /// A service needs the device it runs on; `iot_hub_host` must be https, or http on loopback. A connection string
  /// that is unset or unusable here is a warning naming its variable (apply would fail on it).
  public func validate(_ request: ValidateRequest) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    let name = request.service.address.name
    let settings: [String: FieldValue]
    if case .service(let spec) = request.service.spec { settings = spec.deployment } else { settings = [:] }
    if IoTEdgeSettings(settings).deviceID == nil {
      diagnostics.append(
        .error(
          "service '\(name)' runs on an iotedge compute target but names no device",
          at: request.service.location(of: "compute_target"),
          hint: "set deployment.device_id to the IoT Edge device the module runs on"))
    }
    do {
      _ = try HubConnection.baseURL(override: Self.text(request.computeTarget.settings["iot_hub_host"]), hostName: "hub")
    } catch {
      diagnostics.append(.error("\(error)", at: request.service.location(of: "compute_target")))
      return diagnostics
    }
    do {
      _ = try HubConnection.resolve(request.computeTarget.settings, environment: environment)
    } catch {
      diagnostics.append(
        .warning(
          "cannot connect to the IoT Hub of service '\(name)': \(error)", at: request.service.location(of: "compute_target")))
    }
    return diagnostics
  }

  // MARK: - Observe

  /// One read of the `$edgeAgent` twin per device, whatever the number of its services.
  public func observe(_ request: ObserveRequest) async throws -> ObserveResponse {
    var byDevice: [String: [ObservedService]] = [:]
    var response = ObserveResponse(services: [:])
    for service in request.services {
      guard let device = Self.text(service.recordedOutputs["device_id"]) else {
        response.services[service.name] = Observation(health: .missing, message: "never deployed to a device")
        continue
      }
      byDevice[device, default: []].append(service)
    }
    guard !byDevice.isEmpty else { return response }
    return try await withClient(request.computeTarget.settings) { client in
      for device in byDevice.keys.sorted() {
        let twin = try await client.moduleTwin(deviceID: device, moduleID: "$edgeAgent")
        response.backendCalls += 1
        for service in byDevice[device]! {
          guard let twin else {
            response.services[service.name] = Observation(
              health: .missing, message: "device '\(device)' is not an IoT Edge device of \(client.connection.hostName)")
            continue
          }
          response.services[service.name] = ModuleStatus(twin: twin, module: service.instance).observation(
            recordedDigest: Self.text(service.recordedOutputs["module_sha256"]))
        }
      }
      return response
    }
  }

  // MARK: - Apply

  public func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
    switch request.operation {
    case .deprovision(let name, _):
      return ApplyResponse(message: "compute target \(name) forgotten (the IoT Hub and its devices stay)")
    case .provision(let name, let spec):
      let connection = try connection(spec.settings)
      return ApplyResponse(
        outputs: ["iot_hub": .string(connection.hostName)],
        message: "compute target \(name) attached to \(connection.hostName) (policy \(connection.policyName))")
    case .deploy(let deployment):
      return try await ModuleRollout(provider: self, deployment: deployment, previous: nil, progress: request.progress).run()
    case .update(let deployment, let previous):
      return try await ModuleRollout(provider: self, deployment: deployment, previous: previous, progress: request.progress)
        .run()
    case .delete(let name, let previous):
      return try await ModuleRemoval(provider: self, progress: request.progress).remove(service: name, recorded: previous)
    case .publishEndpoint(let endpoint, _):
      throw TargetError(
        "endpoint '\(endpoint.name)': the iotedge target serves no endpoints (a module is reached on its device)")
    case .deleteEndpoint(let name, _):
      throw TargetError("endpoint '\(name)': the iotedge target serves no endpoints")
    }
  }
}
