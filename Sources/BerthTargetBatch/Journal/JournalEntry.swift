/// One finished mini-batch as the journal records it: enough to write its part of the output without scoring again.
public struct JournalEntry: Hashable, Sendable, Codable {
  /// The mini-batch's position in the run (0-based, input order).
  public var index: Int
  /// Its files, relative to `input_path`.
  public var files: [String]
  /// The rows `run()` returned, one per item, as written to `parallel_run_step.txt`.
  public var rows: [String]
  /// How many of its items failed (the whole mini-batch after its last attempt, or the items `run()` gave no row for).
  public var failed: Int
  /// Why they failed.
  public var errors: [ItemFailure]
  /// Attempts it took (1 when the first call succeeded).
  public var attempts: Int

  public init(index: Int, files: [String], rows: [String], failed: Int, errors: [ItemFailure], attempts: Int) {
    self.index = index
    self.files = files
    self.rows = rows
    self.failed = failed
    self.errors = errors
    self.attempts = attempts
  }

  /// Items that were scored.
  public var succeeded: Int { files.count - failed }
}

/// An item (or a group of a mini-batch's items) that failed, with the error.
public struct ItemFailure: Hashable, Sendable, Codable {
  /// The input file, or nil when `run()` returned too few rows and which items lack one is unknown.
  public var file: String?
  public var error: String

  public init(file: String?, error: String) {
    self.file = file
    self.error = error
  }
}

/// The first line of a journal: which run it belongs to, so a journal is never replayed into another run.
public struct JournalHeader: Hashable, Sendable, Codable {
  public var revision: String
  public var inputDigest: String
  public var miniBatchSize: Int

  public init(revision: String, inputDigest: String, miniBatchSize: Int) {
    self.revision = revision
    self.inputDigest = inputDigest
    self.miniBatchSize = miniBatchSize
  }
}
