import BerthModel

/// Builds a Python environment from a conda file on this machine, once per content.
public protocol EnvironmentBuilding: Sendable {
  func build(_ request: EnvironmentBuildRequest) async throws -> EnvironmentBuildResponse
}

/// Which environment to build and where to report progress.
public struct EnvironmentBuildRequest: Sendable {
  public var name: String
  /// Absolute path of the conda file.
  public var condaFile: String
  /// The Environment's `resolution`, `pip_constraints` and `solver`.
  public var resolution: EnvironmentResolution
  public var progress: @Sendable (String) -> Void

  public init(
    name: String, condaFile: String, resolution: EnvironmentResolution = EnvironmentResolution(),
    progress: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.name = name
    self.condaFile = condaFile
    self.resolution = resolution
    self.progress = progress
  }
}

/// What was built: values to record (interpreter version, cache key, whether it was reused).
public struct EnvironmentBuildResponse: Sendable {
  public var outputs: Attributes
  public var message: String
  /// What the user should know about a build that succeeded (a conda-only package dropped, a constraint added).
  public var diagnostics: [Diagnostic]

  public init(outputs: Attributes, message: String, diagnostics: [Diagnostic] = []) {
    self.outputs = outputs
    self.message = message
    self.diagnostics = diagnostics
  }
}
