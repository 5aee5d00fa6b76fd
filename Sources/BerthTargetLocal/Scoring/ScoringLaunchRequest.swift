/// Everything needed to start one `azmlinfsrv` process.
public struct ScoringLaunchRequest: Sendable, Hashable {
  /// The `azmlinfsrv` program inside the environment.
  public var serverExecutable: String
  /// The environment's Python, which runs the server through `loopbackLauncher`.
  public var pythonExecutable: String
  /// The environment's `bin` folder, put first on the server's `PATH`.
  public var environmentBin: String
  /// The inference source folder; the server's working directory.
  public var sourceDirectory: String
  /// The entry script, relative to `sourceDirectory` or absolute.
  public var entryScript: String
  /// The model folder exposed as `AZUREML_MODEL_DIR`, if any.
  public var modelDirectory: String?
  /// The port the server listens on, on 127.0.0.1 only (see `loopbackLauncher`).
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
    self.pythonExecutable = environment.pythonPath
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

  /// `azmlinfsrv`'s own arguments: `--entry_script … --port … --worker_count …` (and `--model_dir`).
  public var serverArguments: [String] {
    var arguments = ["--entry_script", entryScript, "--port", String(port), "--worker_count", String(workerCount)]
    if let modelDirectory { arguments += ["--model_dir", modelDirectory] }
    return arguments
  }

  /// What `pythonExecutable` runs: the launcher, then the server's arguments.
  public var arguments: [String] { ["-c", Self.loopbackLauncher] + serverArguments }

  /// Runs `azmlinfsrv` with every bind to `0.0.0.0` turned into `127.0.0.1`.
  ///
  /// azmlinfsrv hard-codes `0.0.0.0` (gunicorn's `-b` on its own command line, which outranks every gunicorn
  /// setting), so a scoring server would be reachable from the network on its internal port and the gateway's
  /// key check could be walked around. Patching `socket.bind` in the server's own process works for every
  /// version of the package; the console script is then started exactly as `azmlinfsrv` would start it.
  public static let loopbackLauncher = """
    import socket, sys
    _bind = socket.socket.bind
    def _loopback_bind(self, address):
        if isinstance(address, tuple) and address and address[0] in ("0.0.0.0", ""):
            address = ("127.0.0.1",) + tuple(address[1:])
        return _bind(self, address)
    socket.socket.bind = _loopback_bind
    sys.argv[0] = "azmlinfsrv"
    try:
        from importlib.metadata import entry_points
        try:
            found = entry_points(group="console_scripts")
        except TypeError:
            found = entry_points().get("console_scripts", [])
        main = [e for e in found if e.name == "azmlinfsrv"][0].load()
    except Exception:
        from azureml_inference_server_http.amlserver import run as main
    sys.exit(main())
    """

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
