import BerthModel
import BerthTargetAPI
import Foundation

/// Deploys or updates one service: its module placed in the device's manifest, the manifest applied, then a wait
/// until the device reports the module running at the new revision (or failing, with its exit code).
struct ModuleRollout {
  let provider: IoTEdgeTargetProvider
  let deployment: ServiceDeployment
  let previous: Attributes?
  let progress: @Sendable (String) -> Void

  func run() async throws -> ApplyResponse {
    let settings = IoTEdgeSettings(deployment.settings)
    guard let device = settings.deviceID else {
      throw TargetError("service '\(deployment.name)' names no device: set deployment.device_id")
    }
    guard let image = deployment.image else {
      throw TargetError("service '\(deployment.name)' has no built image; an IoT Edge module runs an image by digest")
    }
    let module: EdgeModule
    do {
      module = try EdgeModule(deployment, imageReference: image.reference)
    } catch let error as IoTEdgeError {
      throw error.targetError
    }
    let targetSettings = deployment.computeTarget.settings
    // The device (and hub) the service ran on before; routes it had there are replaced on the same device only.
    let previousDevice = previous.flatMap { IoTEdgeTargetProvider.text($0["device_id"]) }
    let previousHub = previous.flatMap { IoTEdgeTargetProvider.text($0["iot_hub"]) }
    let recordedRoutes = (previous.flatMap { IoTEdgeTargetProvider.text($0["routes"]) } ?? "")
      .split(separator: ",").map(String.init)
    let ttl = IoTEdgeTargetProvider.int(targetSettings["store_and_forward_ttl"])
    let environment = provider.environment
    return try await provider.withClient(targetSettings) { client in
      let moved =
        previousDevice != nil
        && (previousDevice != device || (previousHub ?? client.connection.hostName) != client.connection.hostName)
      let staleRoutes = moved ? [] : recordedRoutes
      let applied = try await provider.locks.run(client.connection.hostName + "/" + device) {
        guard let agentTwin = try await client.moduleTwin(deviceID: device, moduleID: "$edgeAgent") else {
          throw TargetError(
            "device '\(device)' is not an IoT Edge device of \(client.connection.hostName) (no $edgeAgent twin)")
        }
        let hubTwin = try await client.moduleTwin(deviceID: device, moduleID: "$edgeHub")
        var manifest = DeploymentManifest.current(
          agentDesired: agentTwin["properties"]?["desired"], hubDesired: hubTwin?["properties"]?["desired"],
          timeToLiveSecs: ttl ?? DeploymentManifest.defaultTimeToLiveSecs)
        let before = manifest
        try manifest.place(module, staleRoutes: staleRoutes, environment: environment)
        if let ttl { manifest.hub.set("storeAndForwardConfiguration", .obj(["timeToLiveSecs": .int(ttl)])) }
        guard manifest != before else {
          progress("device \(device): the manifest already has module \(module.name) at this revision")
          return false
        }
        try await client.applyConfigurationContent(deviceID: device, content: manifest.content)
        progress("device \(device): deployment manifest applied with module \(module.name)")
        return true
      }
      let status = try await waitForModule(client: client, device: device, module: module, timeout: settings)
      if moved, let previous {
        // The module runs on its new device: take it off the one it left.
        let removal = try await ModuleRemoval(provider: provider, progress: progress).remove(
          service: deployment.name, recorded: previous)
        progress(removal.message)
      }
      var outputs: Attributes = [
        "revision": .string(deployment.revision), ServiceInstance.outputKey: .string(deployment.instance),
        "device_id": .string(device), "module": .string(module.name), "iot_hub": .string(client.connection.hostName),
        "image": .string(image.reference), "module_sha256": .string(module.digest),
        "routes": .string(module.routes.keys.sorted().joined(separator: ",")),
      ]
      if let version = status.desiredVersion { outputs["desired_version"] = .int(version) }
      for key in HubConnection.settingKeys {
        if let value = targetSettings[key] { outputs["target.\(key)"] = value }
      }
      return ApplyResponse(
        outputs: outputs,
        message: applied
          ? "module \(module.name) running on device \(device) (manifest version \(status.desiredVersion.map(String.init) ?? "?"))"
          : "module \(module.name) already running on device \(device)")
    }
  }

  /// Reads the `$edgeAgent` twin until the device reports the module running at this revision; a module that exits
  /// and restarts (backoff, failed) ends the wait with its exit code.
  private func waitForModule(client: IoTHubClient, device: String, module: EdgeModule, timeout settings: IoTEdgeSettings)
    async throws -> ModuleStatus
  {
    let timeout = provider.timings.waitTimeout ?? .seconds(settings.waitTimeoutSeconds)
    let deadline = ContinuousClock.now + timeout
    var last = "no report read yet"
    while true {
      guard let twin = try await client.moduleTwin(deviceID: device, moduleID: "$edgeAgent") else {
        throw TargetError("device '\(device)' disappeared from \(client.connection.hostName) during the rollout")
      }
      let status = ModuleStatus(twin: twin, module: module.name)
      let observation = status.observation(recordedDigest: module.digest)
      if observation.health == .healthy, observation.revision == deployment.revision { return status }
      if status.desired == nil || (status.desired.map(EdgeModule.digest) != module.digest) {
        throw TargetError(
          "module \(module.name) of device '\(device)' was changed or removed by someone else during the rollout",
          isRetryable: true)
      }
      // The device's report is about this revision once it applied the desired version (and, where it reports the
      // module's version, that version is this revision).
      let reportedRevision = status.reported?["version"]?.stringValue
      if status.deviceIsCurrent, reportedRevision == nil || reportedRevision == deployment.revision,
        let failure = status.failure
      {
        throw TargetError("module \(module.name) on device '\(device)' is not running: \(failure)")
      }
      last = observation.message
      guard ContinuousClock.now < deadline else {
        throw TargetError(
          "module \(module.name) on device '\(device)' not running after \(timeout): \(last) (is the device online?)",
          isRetryable: true)
      }
      try await Task.sleep(for: provider.timings.pollInterval)
    }
  }
}
