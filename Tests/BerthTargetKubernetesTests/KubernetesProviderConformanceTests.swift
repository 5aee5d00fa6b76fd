import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

@testable import BerthTargetKubernetes

/// The provider contract on the Kubernetes target, against the API server double (one double for all cases).
@Suite(.serialized) struct KubernetesProviderConformanceTests {
  @Test(arguments: ProviderConformance.allCases)
  func conformance(_ check: ProviderConformance) async throws {
    let double = try await KubeDouble(token: "t0ken")
    defer { Task { await double.stop() } }
    let settings = double.settings()
    let target = ComputeTargetSpec(type: .kubernetes, settings: settings)
    let subject = ProviderSubject(
      provider: ProviderTests.provider(), computeTargetName: "aks-prod", computeTarget: target,
      deployment: { name, generation in
        Samples.deployment(name, target: settings, revision: "rev00000000\(generation)")
      },
      broken: { name in
        try await double.failRollouts(["ml-prod/\(name)"])
        return (Samples.deployment(name, target: settings, revision: "rev0000000bad"), cause: "Worker failed to boot.")
      },
      injectDrift: { name, outputs in
        // Someone raises the autoscaler's maximum with kubectl.
        let client = try KubeClient(double.connection(token: "t0ken"))
        defer { Task { await client.shutdown() } }
        let instance = ServiceInstance.name(service: name, outputs: outputs)
        guard var hpa = try await client.get(.horizontalPodAutoscaler, instance, namespace: "ml-prod") else {
          throw ConformanceFailure(message: "no HorizontalPodAutoscaler \(instance) to change")
        }
        var spec = hpa["spec"]!
        spec.set("maxReplicas", 40)
        hpa.set("spec", spec)
        try await client.apply(ProviderTests.stripped(hpa), fieldManager: "kubectl")
      })
    try await check.run(subject)
  }
}
