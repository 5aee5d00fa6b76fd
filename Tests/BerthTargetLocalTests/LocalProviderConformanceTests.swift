import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

@testable import BerthTargetLocal

#if canImport(Glibc)
import Glibc
#endif

/// The provider contract on the local target with real processes: azmlinfsrv revisions behind the gateway.
///
/// Slow (about 3 s a case): every case starts real scoring servers; the environment is the shared cached one.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct LocalProviderConformanceTests {
  @Test(arguments: ProviderConformance.allCases)
  func conformance(_ check: ProviderConformance) async throws {
    let fixture = try LocalServiceFixture()
    defer { fixture.remove() }
    let provider = LocalTargetProvider(
      runtimeDirectory: fixture.runtime, environmentCache: SharedEnvironment.cacheDirectory,
      gatewayCommand: try #require(GatewayProgram.command, "\(GatewayProgram.missing)"),
      timings: LocalTargetTimings(stopGrace: .seconds(10)))
    _ = try await SharedEnvironment.built()
    let subject = ProviderSubject(
      provider: provider, computeTargetName: "laptop", computeTarget: ComputeTargetSpec(type: .local),
      deployment: { name, generation in
        try fixture.deployment(
          revision: "rev000000\(generation)", models: [fixture.model(version: generation, coefficient: generation + 1)],
          name: name)
      },
      broken: { name in
        (
          try fixture.deployment(
            revision: "rev00000bad", models: [fixture.model(version: 1, coefficient: 2)], entryScript: "failing.py",
            name: name),
          cause: "coefficient file is corrupt: boom-7"
        )
      },
      injectDrift: { _, outputs in
        // Someone kills the scoring server by hand.
        guard let pid = outputs.int("pid") else { throw ConformanceFailure(message: "no pid recorded") }
        kill(Int32(pid), SIGKILL)
        try await Task.sleep(for: .milliseconds(300))
      })
    try await check.run(subject)
  }
}
