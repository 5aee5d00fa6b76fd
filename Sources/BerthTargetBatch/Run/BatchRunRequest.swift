/// Everything one run of a batch job needs, resolved: inputs, the interpreter, the entry script, where files go.
public struct BatchRunRequest: Sendable {
  public var service: String
  public var revision: String
  public var settings: BatchSettings
  /// Absolute path of the input folder.
  public var inputRoot: String
  /// The files to score, in input order.
  public var files: [InputFile]
  /// Rows of files an earlier run already scored (`incremental: true`), by file; these files are not scored again.
  public var reused: [InputFile: String]
  /// A digest of what scoring depends on besides the inputs (code, models, environment, settings).
  public var scoringKey: String
  /// The environment's Python.
  public var python: String
  /// Absolute path of the entry script.
  public var entryScript: String
  /// The workers' environment (the model folder, the environment's variables, `PATH`).
  public var environment: [String: String]
  /// The run's own folder (journal, status, worker logs).
  public var runDirectory: String
  /// Where `parallel_run_step.txt` and the summary are written.
  public var outputDirectory: String
  /// Seconds a worker may take to start and finish `init()`.
  public var initTimeout: Int
  /// Progress lines ("scored 120/1000 files …").
  public var progress: @Sendable (String) -> Void

  public init(
    service: String, revision: String, settings: BatchSettings, inputRoot: String, files: [InputFile],
    reused: [InputFile: String] = [:], scoringKey: String = "", python: String, entryScript: String,
    environment: [String: String], runDirectory: String, outputDirectory: String, initTimeout: Int = 600,
    progress: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.service = service
    self.revision = revision
    self.settings = settings
    self.inputRoot = inputRoot
    self.files = files
    self.reused = reused
    self.scoringKey = scoringKey
    self.python = python
    self.entryScript = entryScript
    self.environment = environment
    self.runDirectory = runDirectory
    self.outputDirectory = outputDirectory
    self.initTimeout = initTimeout
    self.progress = progress
  }

  /// The files this run scores itself (not reused), in input order.
  public var filesToScore: [InputFile] { files.filter { reused[$0] == nil } }

  /// The journal header naming this run.
  var header: JournalHeader {
    JournalHeader(revision: revision, inputDigest: InputListing.digest(files), miniBatchSize: settings.miniBatchSize)
  }
}
