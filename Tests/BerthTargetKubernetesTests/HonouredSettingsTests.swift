import BerthManifest
import BerthModel
import BerthTargetAPI
import Testing

@testable import BerthTargetKubernetes

/// The TargetSupport table claims the kubernetes target honours these settings: each one, set away from its
/// default, must change what the target deploys (or the table lies and a warning is missing).
@Suite struct HonouredSettingsTests {
  /// A non-default value for each setting, as a manifest would give it (nested ones dotted).
  static let samples: [String: [String: FieldValue]] = [
    "port": ["port": .int(8080)],
    "worker_count": ["worker_count": .int(3)],
    "wait_timeout": ["wait_timeout": .int(300)],
    "scoring_timeout_ms": ["scoring_timeout_ms": .int(1234)],
    "environment_variables": ["environment_variables.MODE": .string("fast")],
    "cpu_cores": ["cpu_cores": .double(2)],
    "memory_gb": ["memory_gb": .double(3)],
    "gpu_cores": ["gpu_cores": .int(1)],
    "num_replicas": ["num_replicas": .int(3)],
    "autoscale_enabled": ["autoscale_enabled": .bool(false)],
    "autoscale_min_replicas": ["autoscale_min_replicas": .int(2)],
    "autoscale_max_replicas": ["autoscale_max_replicas": .int(5)],
    "autoscale_target_utilization": ["autoscale_target_utilization": .int(50)],
    "liveness_probe": ["liveness_probe.period_seconds": .int(20)],
    "auth_enabled": ["auth_enabled": .bool(true)],
    "token_auth_enabled": ["token_auth_enabled": .bool(true)],
  ]

  @Test func everyHonouredSettingHasASample() {
    #expect(Set(Self.samples.keys) == TargetSupport.honouredSettings[.kubernetes])
  }

  @Test(arguments: TargetSupport.honouredSettings[.kubernetes]!.sorted())
  func honouredSettingChangesWhatIsDeployed(_ field: String) throws {
    let sample = try #require(Self.samples[field], "no sample for \(field)")
    // Auth switches give the service a gateway of its own (KubernetesRollout.ownEndpoint); the rest are settings.
    let changed =
      KubernetesSettings(sample) != KubernetesSettings([:]) || Samples.deployment(settings: sample).wantsOwnAuth
    #expect(changed, "\(field) is in the table but the kubernetes target ignores it")
  }
}
