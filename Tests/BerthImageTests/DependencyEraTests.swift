import BerthPythonSpec
import Foundation
import Testing

@testable import BerthImage

/// The dependencies layer applies the same era rule as local environments, and says when it cannot.
@Suite struct DependencyEraTests {
  struct FixedDates: ReleaseDateLooking {
    func firstUpload(of pin: ResolutionEra.Pin) throws -> Date? {
      pin == .init(name: "scikit-learn", version: "1.2.2") ? ISO8601DateFormatter().date(from: "2023-03-09T09:57:10Z") : nil
    }
  }

  final class Lines: @unchecked Sendable {
    var items: [String] = []
  }

  static let layer = DependencyLayer(
    spec: PythonEnvironmentSpec(
      pythonVersion: "3.10", requirements: ["scikit-learn==1.2.2", "pandas", "azureml-inference-server-http"]),
    pythonVersion: "3.10", uvPlatform: "x86_64-manylinux_2_28")

  @Test func boundsUnpinnedPackagesAndNumpyAndPrintsWhy() throws {
    let lines = Lines()
    let plan = try #require(try Self.layer.era(releaseDates: FixedDates(), progress: { lines.items.append($0) }))
    #expect(plan.bounded == ["numpy", "pandas"])
    #expect(plan.uvArguments.contains("numpy=2023-03-09T09:57:10Z"))
    #expect(lines.items.count == 2)
    #expect(lines.items.allSatisfy { $0.hasPrefix("era: ") && $0.contains("scikit-learn==1.2.2") })
  }

  @Test func withoutReleaseDatesItSaysTheRuleIsNotApplied() throws {
    let lines = Lines()
    #expect(try Self.layer.era(releaseDates: nil, progress: { lines.items.append($0) }) == nil)
    #expect(lines.items == ["warning: era rule not applied: this image builder has no release dates to read"])
  }

  @Test func constraintsAndTheRuleAreInTheLayerKey() {
    var constrained = Self.layer
    constrained.spec.constraints = ["numpy<2"]
    var latest = Self.layer
    latest.spec.eraRule = false
    #expect(Set([Self.layer.key, constrained.key, latest.key]).count == 3)
  }
}
