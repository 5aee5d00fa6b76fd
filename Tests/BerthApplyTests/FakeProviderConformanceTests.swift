import BerthModel
import BerthTargetAPI
import BerthTesting
import Testing

/// The provider contract on the in-memory fake: the suite itself is checked against a provider that keeps it.
@Suite struct FakeProviderConformanceTests {
  static func subject() -> ProviderSubject {
    let provider = InMemoryTargetProvider(failingRevisions: ["rev-broken"])
    return ProviderSubject(
      provider: provider, computeTargetName: "memory", computeTarget: ComputeTargetSpec(type: .local),
      deployment: { name, generation in Self.deployment(name, revision: "rev-\(generation)") },
      broken: { name in (Self.deployment(name, revision: "rev-broken"), cause: "revision is marked failing") },
      injectDrift: { name, outputs in provider.tamper(instance: ServiceInstance.name(service: name, outputs: outputs)) })
  }

  static func deployment(_ name: String, revision: String) -> ServiceDeployment {
    ServiceDeployment(
      name: name, revision: revision, models: [], sourceDirectory: "/src", entryScript: "score.py", condaFile: "/conda.yml",
      environmentName: "env", environmentDigest: "", settings: [:], computeTargetName: "memory",
      computeTarget: ComputeTargetSpec(type: .local))
  }

  @Test(arguments: ProviderConformance.allCases)
  func conformance(_ check: ProviderConformance) async throws {
    try await check.run(Self.subject())
  }

  /// The suite must be able to fail: a provider that forgets deletes is caught.
  @Test func aProviderThatKeepsDeletedServicesFailsTheSuite() async throws {
    let provider = ForgetfulDeletes(InMemoryTargetProvider())
    var subject = Self.subject()
    subject.provider = provider
    await #expect(throws: ConformanceFailure.self) { try await ProviderConformance.deleteLeavesNothingRunning.run(subject) }
  }
}

/// Wraps a provider and ignores its deletes: a broken provider for the suite to catch.
struct ForgetfulDeletes: TargetProvider {
  let base: InMemoryTargetProvider
  init(_ base: InMemoryTargetProvider) { self.base = base }
  var type: ComputeType { base.type }
  func validate(_ request: ValidateRequest) -> [Diagnostic] { base.validate(request) }
  func observe(_ request: ObserveRequest) async throws -> ObserveResponse { try await base.observe(request) }
  func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
    if case .delete(let name, _) = request.operation { return ApplyResponse(message: "pretended to delete \(name)") }
    return try await base.apply(request)
  }
}
