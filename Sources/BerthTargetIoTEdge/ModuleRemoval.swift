import BerthModel
import BerthTargetAPI

/// Deletes one service: the device's manifest applied again without its module and routes. What is already gone
/// (no device recorded, the module absent) succeeds, so that an interrupted apply can run again.
struct ModuleRemoval {
  let provider: IoTEdgeTargetProvider
  let progress: @Sendable (String) -> Void

  func remove(service name: String, recorded: Attributes) async throws -> ApplyResponse {
    guard let device = IoTEdgeTargetProvider.text(recorded["device_id"]) else {
      return ApplyResponse(message: "no device recorded; nothing to remove")
    }
    let module = IoTEdgeTargetProvider.text(recorded["module"]) ?? ServiceInstance.name(service: name, outputs: recorded)
    let routes = (IoTEdgeTargetProvider.text(recorded["routes"]) ?? "").split(separator: ",").map(String.init)
    let settings = IoTEdgeTargetProvider.recordedSettings(recorded)
    return try await provider.withClient(settings) { client in
      try await provider.locks.run(client.connection.hostName + "/" + device) {
        guard let agentTwin = try await client.moduleTwin(deviceID: device, moduleID: "$edgeAgent") else {
          return ApplyResponse(message: "device '\(device)' is gone from \(client.connection.hostName); nothing to remove")
        }
        let hubTwin = try await client.moduleTwin(deviceID: device, moduleID: "$edgeHub")
        var manifest = DeploymentManifest.current(
          agentDesired: agentTwin["properties"]?["desired"], hubDesired: hubTwin?["properties"]?["desired"],
          timeToLiveSecs: DeploymentManifest.defaultTimeToLiveSecs)
        let before = manifest
        manifest.remove(module: module, routes: routes)
        guard manifest != before else {
          return ApplyResponse(message: "module \(module) is not in the manifest of device '\(device)'; nothing to remove")
        }
        try await client.applyConfigurationContent(deviceID: device, content: manifest.content)
        progress("device \(device): deployment manifest applied without module \(module)")
        return ApplyResponse(
          message: "module \(module) removed from the manifest of device '\(device)'; the device stops it when it applies it")
      }
    }
  }
}
