import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

@testable import BerthTargetIoTEdge

/// The provider contract on the IoT Edge target, against the IoT Hub double (a double per case).
@Suite(.serialized) struct IoTEdgeProviderConformanceTests {
  @Test(arguments: ProviderConformance.allCases)
  func conformance(_ check: ProviderConformance) async throws {
    let double = try await IoTHubDouble()
    defer { Task { await double.stop() } }
    let settings = double.settings
    let target = ComputeTargetSpec(type: .iotedge, settings: settings)
    let subject = ProviderSubject(
      provider: Samples.provider(), computeTargetName: "factory-hub", computeTarget: target,
      deployment: { name, generation in
        Samples.deployment(name, target: settings, revision: "rev00000000\(generation)", image: Samples.image("0\(generation)"))
      },
      broken: { name in
        try await double.fail(module: name, exitCode: 3, description: "ModuleNotFoundError: No module named 'sklearn'")
        return (Samples.deployment(name, target: settings, revision: "rev0000000bad"), cause: "exit code 3")
      },
      injectDrift: { name, outputs in
        // Someone edits the device's deployment in the portal: the module's image changes.
        let client = IoTHubClient(try HubConnection.resolve(settings, environment: IoTHubDouble.environment))
        defer { Task { await client.shutdown() } }
        let agent = try #require(try await client.moduleTwin(deviceID: "edge-01", moduleID: "$edgeAgent"))
        let hub = try await client.moduleTwin(deviceID: "edge-01", moduleID: "$edgeHub")
        var manifest = DeploymentManifest.current(
          agentDesired: agent["properties"]?["desired"], hubDesired: hub?["properties"]?["desired"], timeToLiveSecs: 7200)
        let instance = ServiceInstance.name(service: name, outputs: outputs)
        var module = try #require(manifest.module(instance))
        var moduleSettings = try #require(module["settings"])
        moduleSettings.set("image", .string("registry.example.com/someone-else@sha256:" + String(repeating: "ee", count: 32)))
        module.set("settings", moduleSettings)
        var modules = try #require(manifest.agent["modules"])
        modules.set(instance, module)
        manifest.agent.set("modules", modules)
        try await client.applyConfigurationContent(deviceID: "edge-01", content: manifest.content)
      })
    try await check.run(subject)
  }
}
