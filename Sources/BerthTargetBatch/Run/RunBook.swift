import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bookkeeping of one run, wherever its mini-batches are scored (worker processes here, pods of an Indexed Job):
/// the run's lock, the journal (replayed on open, appended and fsynced as mini-batches finish), `run.json`, the error
/// threshold, progress lines, and the output written from the journal alone at the end — so a resumed run writes the
/// bytes an uninterrupted one would.
final class RunBook: @unchecked Sendable {
  let request: BatchRunRequest
  let layout: RunLayout
  private let lock = NSLock()
  private var lockFD: Int32 = -1
  private(set) var batches: [[String]] = []
  private var entries: [Int: JournalEntry] = [:]
  private var abortReason: (message: String, logTail: [String])?
  private var scoredThisTime = 0
  private var lastProgress = ContinuousClock.now
  let started = ContinuousClock.now
  /// When scoring began (the first worker finished `init()`): rates are measured from there.
  private var firstReady: ContinuousClock.Instant?
  private var journal: JournalWriter?
  private(set) var record: RunRecord?
  private var earlierSeconds: Double = 0

  init(_ request: BatchRunRequest) {
    self.request = request
    self.layout = RunLayout(root: request.runDirectory)
  }

  deinit {
    if lockFD >= 0 {
      flock(lockFD, LOCK_UN)
      close(lockFD)
    }
  }

  /// Takes the run's lock, replays its journal and records it running; returns the mini-batches left to score.
  /// `processes` is what `run.json` reports as the run's parallelism.
  func begin(processes: Int, now: () -> Date) throws -> [Int] {
    try FileManager.default.createDirectory(atPath: layout.root, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: request.outputDirectory, withIntermediateDirectories: true)
    let fd = open(layout.lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      if fd >= 0 { close(fd) }
      throw BatchRunError("another Berth process is running this job (\(layout.root)); wait for it to finish")
    }
    lockFD = fd
    let previous = RunRecord.read(layout.recordFile)
    let header = request.header
    var replayed = JournalReplay.replay(
      (try? String(contentsOfFile: layout.journalFile, encoding: .utf8)) ?? "", expected: header
    ).entries
    if previous?.status == .failed {
      // Applying again after a failed run retries what failed; what succeeded stays done.
      replayed = replayed.filter { $0.value.failed == 0 }
    }
    batches = MiniBatchPartition.split(request.filesToScore.map(\.name), size: request.settings.miniBatchSize)
    entries = replayed.filter { $0.key < batches.count && batches[$0.key] == $0.value.files }
    let pending = batches.indices.filter { entries[$0] == nil }
    journal = try JournalWriter(path: layout.journalFile, header: header, keep: Array(entries.values))
    try JournalWriter.replaceDurably(
      JournalReplay.line(request.files.map { [$0.name, $0.sha256] }), at: layout.inputsFile)
    try JournalWriter.replaceDurably(
      JournalReplay.line(
        request.files.compactMap { file in request.reused[file].map { [file.name, file.sha256, $0] } }),
      at: layout.reusedFile)
    let resumes = (previous.map { $0.status == .running ? $0.resumes + 1 : $0.resumes } ?? 0)
    let startedAt = previous?.status == .running ? previous!.startedAt : now()
    earlierSeconds = previous?.status == .running ? previous!.seconds : 0
    let record = RunRecord(
      service: request.service, revision: request.revision, inputDigest: header.inputDigest, status: .running,
      items: request.files.count, miniBatches: batches.count, reused: request.files.count - request.filesToScore.count,
      processes: processes, startedAt: startedAt, seconds: earlierSeconds, resumes: resumes,
      scoringKey: request.scoringKey)
    try record.write(to: layout.recordFile)
    self.record = record
    return pending
  }

  /// Says what the run is about to do: resuming, scoring N files in M mini-batches with `workers` (a phrase).
  func announce(pending: [Int], workers: String) {
    if pending.isEmpty && !batches.isEmpty {
      request.progress(
        "all \(Self.count(batches.count, "mini-batch", "mini-batches")) are in the journal; writing the output without scoring")
      return
    }
    if !entries.isEmpty {
      request.progress(
        "resuming: \(entries.count) of \(batches.count) mini-batches already done (journal), \(pending.count) to score")
    }
    let remaining = pending.reduce(0) { $0 + batches[$1].count }
    let reused = record?.reused ?? 0
    request.progress(
      "scoring \(Self.count(remaining, "file")) in \(Self.count(pending.count, "mini-batch", "mini-batches")) of \(request.settings.miniBatchSize) with \(workers)"
        + (reused > 0 ? " (\(reused) reused from earlier runs)" : ""))
  }

  /// Scoring has begun (a worker is up): rates count from the first call.
  func markReady() { lock.withLock { if firstReady == nil { firstReady = .now } } }

  var stopped: Bool { lock.withLock { abortReason != nil } }

  func isRecorded(_ index: Int) -> Bool { lock.withLock { entries[index] != nil } }

  /// Stops the run with `message` (the first reason wins).
  func stop(_ message: String, logTail: [String] = []) {
    lock.withLock { if abortReason == nil { abortReason = (message, logTail) } }
  }

  /// Journals a finished mini-batch, counts it, reports progress, and stops the run past the error threshold.
  func record(_ entry: JournalEntry) {
    do {
      try journal?.append(entry)
    } catch {
      stop("\(error)")
      return
    }
    let line: String? = lock.withLock {
      entries[entry.index] = entry
      scoredThisTime += entry.files.count
      let (succeeded, failed) = RunOutput.counts(entries)
      if request.settings.exceedsThreshold(failed: failed), abortReason == nil {
        let first = RunOutput.failures(entries).first.map { ": first error: \($0.error)" } ?? ""
        abortReason = (
          "\(failed) item\(failed == 1 ? "" : "s") failed, more than error_threshold \(request.settings.errorThreshold)\(first)",
          []
        )
      }
      let now = ContinuousClock.now
      guard now - lastProgress >= .seconds(1) || entries.count == batches.count else { return nil }
      lastProgress = now
      let elapsed = (now - (firstReady ?? started)).seconds
      return
        "\(entries.count)/\(batches.count) mini-batches, \(succeeded) succeeded, \(failed) failed, \(Self.rate(scoredThisTime, elapsed)) files/s"
    }
    if let line { request.progress(line) }
  }

  /// Ends the run: a stopped run is recorded failed and throws; otherwise the output and summary are written from the
  /// journal and the run recorded completed.
  func finish(now: () -> Date) throws -> RunRecord {
    guard var record else { throw BatchRunError("the run was not opened") }
    let elapsed = (ContinuousClock.now - started).seconds
    let (entries, abortReason, scoredThisTime, firstReady) = lock.withLock {
      (self.entries, self.abortReason, self.scoredThisTime, self.firstReady)
    }
    let (succeeded, failed) = RunOutput.counts(entries)
    record.succeeded = succeeded + record.reused
    record.failed = failed
    record.seconds = earlierSeconds + elapsed
    let scoring = firstReady.map { (ContinuousClock.now - $0).seconds }
    record.scoringSeconds = scoring
    record.scoredNow = scoredThisTime
    record.finishedAt = now()
    if abortReason == nil, let missing = batches.indices.first(where: { entries[$0] == nil }) {
      self.stop("mini-batch \(missing) has no result")
    }
    if let abortReason = lock.withLock({ self.abortReason }) {
      record.status = .failed
      record.message = abortReason.message
      try record.write(to: layout.recordFile)
      self.record = record
      throw BatchRunError(abortReason.message, logTail: abortReason.logTail)
    }
    if request.settings.outputAction == .appendRow {
      let output = request.outputDirectory + "/" + RunOutput.appendRowFile
      try JournalWriter.replaceDurably(
        RunOutput.appendRowText(files: request.files, reused: request.reused, entries: entries), at: output)
      record.outputFile = output
    }
    let summary = request.outputDirectory + "/" + RunSummary.fileName
    record.status = .completed
    record.summaryFile = summary
    try JournalWriter.replaceDurably(RunSummary.text(record, failures: RunOutput.failures(entries)), at: summary)
    try record.write(to: layout.recordFile)
    self.record = record
    request.progress(
      "completed: \(record.succeeded) succeeded, \(record.failed) failed of \(record.items) in \(String(format: "%.1f", elapsed)) s"
        + (scoredThisTime > 0
          ? " (\(Self.rate(scoredThisTime, scoring ?? elapsed)) files/s once the workers were up)" : ""))
    return record
  }

  /// "1 file", "3 files".
  static func count(_ value: Int, _ one: String, _ many: String? = nil) -> String {
    "\(value) " + (value == 1 ? one : many ?? one + "s")
  }

  static func rate(_ files: Int, _ seconds: Double) -> String {
    String(format: "%.1f", seconds > 0 ? Double(files) / seconds : 0)
  }
}

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
