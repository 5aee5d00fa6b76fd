import Foundation

/// A run's status file (`run.json`): what `observe` and `berth jobs` read.
public struct RunRecord: Hashable, Sendable, Codable {
  public enum Status: String, Hashable, Sendable, Codable {
    case running, completed, failed
  }

  public var service: String
  public var revision: String
  public var inputDigest: String
  public var status: Status
  public var items: Int
  public var miniBatches: Int
  public var succeeded: Int
  public var failed: Int
  /// Items taken from earlier runs' journals (`incremental: true`) instead of scored.
  public var reused: Int
  public var processes: Int
  public var startedAt: Date
  public var finishedAt: Date?
  /// Seconds spent scoring in this and earlier (interrupted) attempts of the run.
  public var seconds: Double
  /// Seconds of this attempt from the first worker's `init()` returning to the last mini-batch: the scoring rate's base.
  public var scoringSeconds: Double?
  /// Files this attempt scored itself (not replayed from the journal, not reused).
  public var scoredNow: Int?
  /// Times the run was started again after being interrupted.
  public var resumes: Int
  /// Why the run failed.
  public var message: String?
  /// The `append_row` output file, when the run wrote one.
  public var outputFile: String?
  /// The summary file.
  public var summaryFile: String?
  /// What scoring depended on besides the inputs: runs with equal keys score a file the same way (`incremental`).
  public var scoringKey: String

  public init(
    service: String, revision: String, inputDigest: String, status: Status, items: Int, miniBatches: Int, succeeded: Int = 0,
    failed: Int = 0, reused: Int = 0, processes: Int, startedAt: Date, finishedAt: Date? = nil, seconds: Double = 0,
    resumes: Int = 0, message: String? = nil, outputFile: String? = nil, summaryFile: String? = nil,
    scoringKey: String = ""
  ) {
    self.scoringKey = scoringKey
    self.service = service
    self.revision = revision
    self.inputDigest = inputDigest
    self.status = status
    self.items = items
    self.miniBatches = miniBatches
    self.succeeded = succeeded
    self.failed = failed
    self.reused = reused
    self.processes = processes
    self.startedAt = startedAt
    self.finishedAt = finishedAt
    self.seconds = seconds
    self.resumes = resumes
    self.message = message
    self.outputFile = outputFile
    self.summaryFile = summaryFile
  }

  static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return encoder
  }()

  static let decoder: JSONDecoder = {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
  }()

  /// Reads `path`; nil when it is missing or unreadable.
  public static func read(_ path: String) -> RunRecord? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return try? decoder.decode(RunRecord.self, from: data)
  }

  /// Writes the record durably (temp file, fsync, rename).
  func write(to path: String) throws {
    let text = String(decoding: try Self.encoder.encode(self), as: UTF8.self) + "\n"
    try JournalWriter.replaceDurably(text, at: path)
  }
}
