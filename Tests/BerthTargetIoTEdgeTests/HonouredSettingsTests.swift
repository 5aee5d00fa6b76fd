import BerthManifest
import BerthModel
import BerthTargetAPI
import Testing

@testable import BerthTargetIoTEdge

/// Every setting TargetSupport says the iotedge target honours changes what the device runs (or where, or how long
/// apply waits); the two lists agree.
@Suite struct HonouredSettingsTests {
  static let samples: [String: FieldValue] = [
    "device_id": .string("edge-02"), "port": .int(8080), "cpu_cores": .double(1.5), "memory_gb": .double(2),
    "environment_variables.MODE": .string("fast"),
    "routes.upstream": .string("FROM /messages/modules/iris-edge/outputs/* INTO $upstream"), "wait_timeout": .int(30),
    "worker_count": .int(4), "scoring_timeout_ms": .int(1000),
  ]

  @Test func theListsAgree() {
    #expect(IoTEdgeSettings.honoured == TargetSupport.honouredSettings[.iotedge])
    let topLevel = Set(Self.samples.keys.map { String($0.split(separator: ".")[0]) })
    #expect(topLevel == IoTEdgeSettings.honoured)
  }

  @Test(arguments: samples.keys.sorted())
  func honouredSettingChangesTheModuleOrItsRollout(_ key: String) throws {
    let plain = Samples.deployment(revision: "same")
    let changed = Samples.deployment(settings: [key: Self.samples[key]!], revision: "same")
    let before = try EdgeModule(plain, imageReference: "r/i@sha256:00")
    let after = try EdgeModule(changed, imageReference: "r/i@sha256:00")
    let settingsBefore = IoTEdgeSettings(plain.settings)
    let settingsAfter = IoTEdgeSettings(changed.settings)
    #expect(
      before != after || settingsBefore.deviceID != settingsAfter.deviceID
        || settingsBefore.waitTimeoutSeconds != settingsAfter.waitTimeoutSeconds,
      "\(key) changes nothing")
  }
}
