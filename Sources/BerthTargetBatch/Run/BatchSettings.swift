import BerthModel

/// A batch service's runner settings, read from its deployment settings with ParallelRunStep's defaults.
public struct BatchSettings: Hashable, Sendable {
  /// How a run writes its results.
  public enum OutputAction: String, Hashable, Sendable, Codable {
    /// Every row `run()` returns, in input order, in one file `parallel_run_step.txt`.
    case appendRow = "append_row"
    /// Only the run summary.
    case summaryOnly = "summary_only"
  }

  /// The folder of input files, relative to the service's manifest.
  public var inputPath: String?
  /// The folder results go to, relative to the service's manifest; the run folder when unset.
  public var outputPath: String?
  public var miniBatchSize: Int
  public var processCountPerNode: Int
  public var nodeCount: Int
  /// Failed items tolerated before the run fails; -1: never fails for failed items.
  public var errorThreshold: Int
  public var outputAction: OutputAction
  /// Seconds one `run()` call may take before its worker is killed.
  public var runInvocationTimeout: Int
  /// Further attempts at a failed mini-batch.
  public var retries: Int
  /// Score only files no earlier completed run of the same code, models, environment and settings scored.
  public var incremental: Bool

  public static let defaultMiniBatchSize = 10
  public static let defaultRunInvocationTimeout = 60
  public static let defaultRetries = 3

  public init(
    inputPath: String? = nil, outputPath: String? = nil, miniBatchSize: Int = defaultMiniBatchSize,
    processCountPerNode: Int = 1, nodeCount: Int = 1, errorThreshold: Int = -1, outputAction: OutputAction = .appendRow,
    runInvocationTimeout: Int = defaultRunInvocationTimeout, retries: Int = defaultRetries, incremental: Bool = false
  ) {
    self.inputPath = inputPath
    self.outputPath = outputPath
    self.miniBatchSize = miniBatchSize
    self.processCountPerNode = processCountPerNode
    self.nodeCount = nodeCount
    self.errorThreshold = errorThreshold
    self.outputAction = outputAction
    self.runInvocationTimeout = runInvocationTimeout
    self.retries = retries
    self.incremental = incremental
  }

  /// Reads `settings` (manifest names); values of the wrong type were refused by validation and fall back to defaults.
  public init(_ settings: [String: FieldValue]) {
    func int(_ key: String) -> Int? { if case .int(let value)? = settings[key] { value } else { nil } }
    func string(_ key: String) -> String? { if case .string(let value)? = settings[key] { value } else { nil } }
    self.init(
      inputPath: string("input_path"), outputPath: string("output_path"),
      miniBatchSize: int("mini_batch_size") ?? Self.defaultMiniBatchSize,
      processCountPerNode: int("process_count_per_node") ?? 1, nodeCount: int("node_count") ?? 1,
      errorThreshold: int("error_threshold") ?? -1,
      outputAction: string("output_action").flatMap(OutputAction.init(rawValue:)) ?? .appendRow,
      runInvocationTimeout: int("run_invocation_timeout") ?? Self.defaultRunInvocationTimeout,
      retries: int("retries") ?? Self.defaultRetries,
      incremental: { if case .bool(let value)? = settings["incremental"] { value } else { false } }())
  }

  /// Whether `failed` items exceed the threshold and so fail the run.
  public func exceedsThreshold(failed: Int) -> Bool { errorThreshold >= 0 && failed > errorThreshold }
}
