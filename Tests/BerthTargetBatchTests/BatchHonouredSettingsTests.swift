import BerthManifest
import BerthModel
import Testing

@testable import BerthTargetBatch

/// The TargetSupport table claims the batch target honours these settings: each one, set away from its default,
/// must change what the runner does (`environment_variables` is merged by BerthKit's ServiceResolver).
@Suite struct BatchHonouredSettingsTests {
  static let samples: [String: [String: FieldValue]] = [
    "mini_batch_size": ["mini_batch_size": .int(3)],
    "process_count_per_node": ["process_count_per_node": .int(2)],
    "error_threshold": ["error_threshold": .int(5)],
    "output_action": ["output_action": .string("summary_only")],
    "input_path": ["input_path": .string("data")],
    "output_path": ["output_path": .string("out")],
    "incremental": ["incremental": .bool(true)],
    "run_invocation_timeout": ["run_invocation_timeout": .int(7)],
    "retries": ["retries": .int(0)],
  ]

  @Test func everyHonouredSettingIsCovered() {
    #expect(Set(Self.samples.keys).union(["environment_variables"]) == TargetSupport.honouredSettings[.batch])
  }

  @Test(arguments: samples.keys.sorted())
  func honouredSettingChangesWhatRuns(_ field: String) throws {
    let sample = try #require(Self.samples[field])
    #expect(BatchSettings(sample) != BatchSettings([:]), "\(field) is in the table but ignored")
  }

  @Test func nodeCountOfOneIsHonouredAndMoreIsAWarning() {
    let one = ServiceSpec(
      computeTarget: "b", models: [], inferenceConfig: "c", deployment: ["node_count": .int(1), "input_path": .string("d")])
    var two = one
    two.deployment["node_count"] = .int(2)
    #expect(TargetSupport.ignoredSettings(one, on: .batch) == [])
    #expect(TargetSupport.ignoredSettings(two, on: .batch) == ["node_count"])
  }
}
