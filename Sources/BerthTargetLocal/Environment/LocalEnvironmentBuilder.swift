import BerthModel
import BerthProcess
import BerthPythonSpec
import BerthTargetAPI
import Foundation

/// Builds a service's Python environment from its conda file, once per content hash.
///
/// Reads the conda file, picks the interpreter it asks for, and builds with
/// `PythonEnvironmentBuilder` into the cache. A second build of the same
/// content (the `build` action of an environment, then a deploy that uses it)
/// returns the cached environment at once.
///
/// `gunicorn` is not pinned: a conda file that does not name it gets what
/// `azureml-inference-server-http` requires (`gunicorn>=23`); Berth's local
/// target uses no option whose meaning differs between those versions.
public struct LocalEnvironmentBuilder: EnvironmentBuilding {
  /// The environment cache folder.
  public let cacheDirectory: String
  private let builder: PythonEnvironmentBuilder
  private let locator: PythonInterpreterLocator

  /// Creates a builder for the cache at `cacheDirectory`; `runner` runs python, uv and pip.
  public init(
    cacheDirectory: String, options: PythonEnvironmentBuilder.Options = .init(),
    runner: any CommandRunning = SpawnedCommandRunner(),
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) {
    self.cacheDirectory = cacheDirectory
    self.builder = PythonEnvironmentBuilder(
      cacheDirectory: cacheDirectory, options: options, runner: runner, environment: environment)
    self.locator = PythonInterpreterLocator(runner: runner, environment: environment)
  }

  /// Builds (or reuses) the environment and reports `python_version`, `environment_hash` and `reused`.
  public func build(_ request: EnvironmentBuildRequest) async throws -> EnvironmentBuildResponse {
    let prepared = try await prepare(
      condaFile: request.condaFile, resolution: request.resolution, progress: request.progress)
    return EnvironmentBuildResponse(outputs: prepared.outputs, message: prepared.message)
  }

  /// The environment for `condaFile`, built now unless cached; throws `TargetError`.
  public func prepare(
    condaFile: String, resolution: EnvironmentResolution = EnvironmentResolution(),
    progress: @escaping @Sendable (String) -> Void = { _ in }
  ) async throws -> PreparedEnvironment {
    try await reportingTargetErrors {
      let spec: PythonEnvironmentSpec
      do {
        spec = try CondaEnvironmentFile.load(path: condaFile).pythonEnvironmentSpec(resolution: resolution)
      } catch let error as CondaFileError {
        throw LocalTargetError(.invalidCondaFile, error.message)
      }
      for warning in spec.warnings { progress(Self.warningLine(warning)) }
      let interpreter: PythonInterpreter
      if spec.condaFileText != nil {
        // Conda brings its own Python from the file's channels; the hash names the requested version.
        interpreter = PythonInterpreter(path: "conda", version: "conda-python-\(spec.pythonVersion ?? "any")")
      } else {
        do {
          interpreter = try locator.locate(version: spec.pythonVersion)
        } catch let error as LocalTargetError where error.kind == .interpreterNotFound {
          throw LocalTargetError(error.kind, (spec.pythonLocation.map { "\($0): " } ?? "") + error.message)
        }
      }
      let built = try await builder.build(spec, interpreter: interpreter) { line in
        // Installer chatter stays out of the apply output; the builder's own steps are worth showing.
        if line.hasPrefix("==> ") { progress(String(line.dropFirst(4))) }
      }
      return PreparedEnvironment(
        environment: built, interpreter: interpreter, marker: EnvironmentMarker.read(root: built.root))
    }
  }
}

extension LocalEnvironmentBuilder {
  /// `conda.yaml:7:5: warning: Dropped …` for warnings that start with a location, `warning: …` otherwise.
  static func warningLine(_ warning: String) -> String {
    let parts = warning.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
    if parts.count == 4, Int(parts[1]) != nil, Int(parts[2]) != nil {
      return "\(parts[0]):\(parts[1]):\(parts[2]): warning:\(parts[3])"
    }
    return "warning: \(warning)"
  }
}

/// A ready environment with what is worth recording about it.
public struct PreparedEnvironment: Sendable {
  /// Where it is and how it was obtained.
  public var environment: BuiltEnvironment
  /// The interpreter it was built for.
  public var interpreter: PythonInterpreter
  /// Its marker (installer, installed packages), when readable.
  public var marker: EnvironmentMarker?

  /// `python_version`, `environment_hash`, `reused`.
  public var outputs: Attributes {
    [
      "python_version": .string(marker?.interpreterVersion ?? interpreter.version),
      "environment_hash": .string(environment.hash),
      "reused": .bool(environment.reused),
    ]
  }

  /// "built in 4.2 s (uv 0.5.1, 57 packages)" or "reused cached environment ab12cd34ef56…".
  public var message: String {
    if environment.reused { return "reused cached environment \(environment.hash.prefix(12))…" }
    let seconds = String(format: "%.1f", environment.duration.inSeconds)
    var details: [String] = []
    if let marker {
      details.append(marker.installer)
      details.append("\(marker.installedPackages.count) packages")
    }
    return "built in \(seconds) s" + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
  }
}
