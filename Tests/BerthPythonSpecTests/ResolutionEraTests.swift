import Foundation
import Testing

@testable import BerthPythonSpec

@Suite struct ResolutionEraTests {
  static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

  static let issueSpec = PythonEnvironmentSpec(
    pythonVersion: "3.10",
    requirements: [
      "scikit-learn==1.2.2", "numpy", "pandas", "joblib", "azureml-inference-server-http", "inference-schema",
      "joblib>=1.1", "scipy>=1.5,<1.11",
    ])

  @Test func newestPinFixesTheEraAndBoundsEveryUnpinnedPackage() throws {
    var spec = Self.issueSpec
    spec.requirements = RequirementName.sortedUnique(spec.requirements + ["pytz==2022.1"])
    let dates = [
      ResolutionEra.Pin(name: "scikit-learn", version: "1.2.2"): Self.date("2023-03-09T09:57:10Z"),
      ResolutionEra.Pin(name: "pytz", version: "2022.1"): Self.date("2022-03-15T00:00:00Z"),
    ]
    let plan = try #require(ResolutionEra.plan(for: spec, releaseDates: dates))
    #expect(plan.anchor == ResolutionEra.Pin(name: "scikit-learn", version: "1.2.2"))
    #expect(plan.dateText == "2023-03-09T09:57:10Z")
    // scipy has an upper bound, the scoring server and inference-schema are exempt.
    #expect(plan.bounded == ["joblib", "numpy", "pandas"])
    #expect(
      plan.uvArguments == [
        "--exclude-newer-package", "joblib=2023-03-09T09:57:10Z", "--exclude-newer-package",
        "numpy=2023-03-09T09:57:10Z", "--exclude-newer-package", "pandas=2023-03-09T09:57:10Z",
      ])
    #expect(
      plan.explanation[1]
        == "era: numpy resolves no newer than 2023-03-09T09:57:10Z, when scikit-learn==1.2.2 was released (compiled wheels are built against it, so it stays in the era of the pins)"
    )
    #expect(plan.explanation[2].hasSuffix("(it is not pinned in the conda file)"))
  }

  @Test func numpyIsBoundedEvenWhenOnlyTransitive() throws {
    let spec = PythonEnvironmentSpec(pythonVersion: "3.10", requirements: ["pandas==1.5.3"])
    let plan = try #require(
      ResolutionEra.plan(
        for: spec, releaseDates: [.init(name: "pandas", version: "1.5.3"): Self.date("2023-01-19T00:00:00Z")]))
    #expect(plan.bounded == ["numpy"])
  }

  @Test func constraintsWithAnUpperBoundOverrideTheEra() throws {
    var spec = PythonEnvironmentSpec(pythonVersion: "3.10", requirements: ["pandas==1.5.3", "numpy", "joblib"])
    spec.constraints = ["numpy<1.25", "joblib>=1"]
    let plan = try #require(
      ResolutionEra.plan(
        for: spec, releaseDates: [.init(name: "pandas", version: "1.5.3"): Self.date("2023-01-19T00:00:00Z")]))
    #expect(plan.bounded == ["joblib"])
  }

  @Test func noEraWithoutDatedPinsWhenTheRuleIsOffOrForConda() {
    let dates = [ResolutionEra.Pin(name: "scikit-learn", version: "1.2.2"): Self.date("2023-03-09T09:57:10Z")]
    #expect(ResolutionEra.plan(for: Self.issueSpec, releaseDates: [:]) == nil)
    var off = Self.issueSpec
    off.eraRule = false
    #expect(ResolutionEra.plan(for: off, releaseDates: dates) == nil)
    var conda = Self.issueSpec
    conda.condaFileText = "dependencies: []"
    #expect(ResolutionEra.plan(for: conda, releaseDates: dates) == nil)
  }

  @Test func theScoringServerPinDoesNotFixTheEra() {
    let spec = PythonEnvironmentSpec(
      pythonVersion: "3.10", requirements: ["azureml-inference-server-http==1.5.1", "scikit-learn==1.2.2", "numpy"])
    #expect(ResolutionEra.pins(in: spec) == [.init(name: "scikit-learn", version: "1.2.2")])
  }

  @Test(
    arguments: [
      ("numpy", nil, false), ("numpy==1.26.4", "1.26.4", true), ("numpy==1.26.*", nil, true), ("numpy>=1.20", nil, false),
      ("numpy>=1.20,<2", nil, true), ("numpy~=1.26", nil, true), ("numpy!=1.25", nil, false),
      ("inference-schema[numpy-support]==1.8", "1.8", true), ("pywin32==306; sys_platform == 'win32'", "306", true),
      ("pkg @ https://example.invalid/pkg.whl", nil, true),
    ] as [(String, String?, Bool)])
  func readsPinsAndUpperBounds(line: String, pinned: String?, upper: Bool) {
    let parsed = RequirementLine(line)
    #expect(parsed.pinnedVersion == pinned)
    #expect(parsed.hasUpperBound == upper)
  }

  @Test func asksTheLookupForEachPin() throws {
    struct Dates: ReleaseDateLooking {
      func firstUpload(of pin: ResolutionEra.Pin) throws -> Date? {
        pin.name == "scikit-learn" ? ResolutionEraTests.date("2023-03-09T09:57:10Z") : nil
      }
    }
    let plan = try ResolutionEra.plan(for: Self.issueSpec, lookup: Dates())
    #expect(plan?.anchor.name == "scikit-learn")
  }
}
