import BerthModel
import BerthTargetAPI

/// An environment builder that builds nothing and says so; for tests and benchmarks of everything around it.
public struct FakeEnvironmentBuilder: EnvironmentBuilding {
  public init() {}

  public func build(_ request: EnvironmentBuildRequest) async throws -> EnvironmentBuildResponse {
    EnvironmentBuildResponse(outputs: ["python_version": .string("3.11.7"), "reused": .bool(true)], message: "fake environment")
  }
}
