/// Everything needed to start one `azmlinfsrv` process.
public struct ScoringLaunchRequest: Sendable, Hashable {
  /// The `azmlinfsrv` program inside the environment.
  public var serverExecutable: String
  /// The environment's `bin` folder, put first on the server's `PATH`.
  public var environmentBin: String
  /// The inference source folder; the server's working directory.
  public var sourceDirectory: String
  /// The entry script, relative to `sourceDirectory` or absolute.
  public var entryScript: String
  /// The model folder exposed as `AZUREML_MODEL_DIR`, if any.
  public var modelDirectory: String?
  /// The port the server listens on (all interfaces; Berth probes 127.0.0.1).
  public var port: Int
  /// `--worker_count`: gunicorn worker processes.
  public var workerCount: Int
  /// `SCORING_TIMEOUT_MS`, if set.
  public var scoringTimeoutMs: Int?
  /// The file stdout and stderr are appended to.
  public var logFile: String
  /// The environment the server starts from; `nil` uses the current process environment.
  public var baseEnvironment: [String: String]?
  /// Variables added last, overriding everything else.
  public var extraEnvironment: [String: String]

  /// Creates a request for a server from `environment`.
  public init(
    environment: BuiltEnvironment, sourceDirectory: String, entryScript: String, modelDirectory: String? = nil,
    port: Int, workerCount: Int = 1, scoringTimeoutMs: Int? = nil, logFile: String,
    baseEnvironment: [String: String]? = nil, extraEnvironment: [String: String] = [:]
  ) {
    self.serverExecutable = environment.serverExecutable
    self.environmentBin = environment.binDirectory
    self.sourceDirectory = sourceDirectory
    self.entryScript = entryScript
    self.modelDirectory = modelDirectory
    self.port = port
    self.workerCount = workerCount
    self.scoringTimeoutMs = scoringTimeoutMs
    self.logFile = logFile
    self.baseEnvironment = baseEnvironment
    self.extraEnvironment = extraEnvironment
  }

  /// The server's arguments: `--entry_script … --port … --worker_count …` (and `--model_dir`).
  public var arguments: [String] {
    var arguments = ["--entry_script", entryScript, "--port", String(port), "--worker_count", String(workerCount)]
    if let modelDirectory { arguments += ["--model_dir", modelDirectory] }
    return arguments
  }

  /// The server's complete environment, given the environment it starts from.
  public func processEnvironment(base: [String: String]) -> [String: String] {
    var environment = base
    for key in ["PYTHONHOME", "PYTHONPATH", "CONDA_PREFIX", "AZUREML_MODEL_DIR", "AZUREML_ENTRY_SCRIPT"] {
      environment.removeValue(forKey: key)
    }
    environment["PATH"] = environmentBin + (base["PATH"].map { ":" + $0 } ?? ":/usr/local/bin:/usr/bin:/bin")
    environment["VIRTUAL_ENV"] = String(environmentBin.dropLast("/bin".count))
    environment["PYTHONUNBUFFERED"] = "1"
    environment["AML_APP_ROOT"] = sourceDirectory
    environment["AZUREML_ENTRY_SCRIPT"] = entryScript
    environment["WORKER_COUNT"] = String(workerCount)
    if let modelDirectory { environment["AZUREML_MODEL_DIR"] = modelDirectory }
    if let scoringTimeoutMs { environment["SCORING_TIMEOUT_MS"] = String(scoringTimeoutMs) }
    environment.merge(extraEnvironment) { _, extra in extra }
    return environment
  }
}
