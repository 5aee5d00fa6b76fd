import BerthManifest
import BerthModel
import Testing

@testable import BerthTargetLocal

/// The TargetSupport table claims the local target honours these settings: each one, set away from its default,
/// must change what the local target runs (`environment_variables` is merged by BerthKit's ServiceResolver).
@Suite struct LocalHonouredSettingsTests {
  static let samples: [String: [String: FieldValue]] = [
    "port": ["port": .int(8080)],
    "worker_count": ["worker_count": .int(3)],
    "wait_timeout": ["wait_timeout": .int(300)],
    "scoring_timeout_ms": ["scoring_timeout_ms": .int(1234)],
    // Enforced by the gateway in front of the scoring server.
    "auth_enabled": ["auth_enabled": .bool(true)],
    "token_auth_enabled": ["token_auth_enabled": .bool(true)],
    "replica_max_concurrent_requests": ["replica_max_concurrent_requests": .int(2)],
    "max_request_wait_time": ["max_request_wait_time": .int(900)],
    "collect_model_data": ["collect_model_data": .bool(true)],
  ]

  @Test func everyHonouredSettingIsCovered() {
    #expect(Set(Self.samples.keys).union(["environment_variables"]) == TargetSupport.honouredSettings[.local])
  }

  @Test(arguments: samples.keys.sorted())
  func honouredSettingChangesWhatRuns(_ field: String) throws {
    let sample = try #require(Self.samples[field])
    #expect(LocalDeploymentSettings(sample) != LocalDeploymentSettings([:]), "\(field) is in the table but ignored")
  }
}
