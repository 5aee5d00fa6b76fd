import BerthKit
import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

/// Target checks run before every plan: a provider for each used compute target, and each provider's own checks.
@Suite struct TargetChecksTests {
  func prepare(_ example: String, providers: [RecordingTargetProvider], store: InMemoryStateStore = InMemoryStateStore())
    async throws -> (Reconciler, Reconciler.Context)
  {
    let reconciler = Reconciler(
      targets: { _ in Targets(providers: providers, environmentBuilder: FakeEnvironmentBuilder()) },
      openState: { _, _ in store })
    let (context, diagnostics) = try await reconciler.prepare(
      path: TestPaths.examples.appendingPathComponent(example).path, observe: false)
    return (reconciler, try #require(context, "\(diagnostics)"))
  }

  @Test func computeTargetWithoutAProviderIsAnErrorAtItsType() async throws {
    let (reconciler, context) = try await prepare("iris-aks", providers: [RecordingTargetProvider(type: .local)])
    let plan = reconciler.plan(context)
    let error = try #require(plan.diagnostics.first { $0.severity == .error })
    #expect(error.message == "compute target 'aks-prod' is of type kubernetes, which this build of Berth cannot deploy to")
    #expect(error.hint == "supported types: local")
    #expect(error.location?.file.hasSuffix("berth.yaml") == true)
    #expect(error.location?.line == 38, "the `type: kubernetes` line")
    // Destroying needs no provider check up front: there is nothing to deploy.
    #expect(!reconciler.plan(context, destroy: true).diagnostics.hasErrors)
  }

  @Test func providerChecksAppearInThePlanWithTheRecordedOutputs() async throws {
    let provider = RecordingTargetProvider(type: .local)
    provider.validations["diabetes-local"] = [.warning("port 8890 is in use by another program on this machine")]
    let store = InMemoryStateStore(
      StateSnapshot(resources: [
        ResourceAddress(.service, "diabetes-local"): ResourceRecord(
          address: ResourceAddress(.service, "diabetes-local"), attributes: [:],
          outputs: ["instance": .string("first-name")], updatedAt: Date(timeIntervalSince1970: 0))
      ]))
    let (reconciler, context) = try await prepare("diabetes", providers: [provider], store: store)
    let plan = reconciler.plan(context)
    #expect(plan.diagnostics.map(\.message) == ["port 8890 is in use by another program on this machine"])
    #expect(provider.validateRequests.map(\.service.address.name) == ["diabetes-local"])
    #expect(provider.validateRequests.first?.recordedOutputs["instance"] == .string("first-name"))
  }
}
