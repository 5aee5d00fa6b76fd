import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one batch job on this machine as ParallelRunStep does: `process_count_per_node` worker processes each call
/// `init()` once, then `run(mini_batch)` for mini-batches taken from a shared queue in input order.
///
/// Each finished mini-batch is journaled (fsync) at once; a run started again after a kill replays the journal and
/// scores only what is missing, and the output is written from the journal alone, so it is the same bytes either way.
/// A failed call is retried (`retries`), a call over `run_invocation_timeout` kills its worker (a new one takes its
/// place), and the run stops once more than `error_threshold` items have failed.
public final class BatchRunner: @unchecked Sendable {
  let request: BatchRunRequest
  let layout: RunLayout
  private let lock = NSLock()
  private var pending: [Int] = []
  private var entries: [Int: JournalEntry] = [:]
  private var abortReason: (message: String, logTail: [String])?
  private var scoredThisTime = 0
  private var lastProgress = ContinuousClock.now
  private let started = ContinuousClock.now
  /// When the first worker finished `init()`: scoring rates are measured from there.
  private var firstReady: ContinuousClock.Instant?
  private var batches: [[String]] = []
  private var journal: JournalWriter?

  public init(_ request: BatchRunRequest) {
    self.request = request
    self.layout = RunLayout(root: request.runDirectory)
  }

  /// Runs (or finishes) the job and returns its final record; throws `BatchRunError` when the run cannot start.
  public func run(now: () -> Date = Date.init) throws -> RunRecord {
    try FileManager.default.createDirectory(atPath: layout.root, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: request.outputDirectory, withIntermediateDirectories: true)
    let lockFD = open(layout.lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard lockFD >= 0, flock(lockFD, LOCK_EX | LOCK_NB) == 0 else {
      if lockFD >= 0 { close(lockFD) }
      throw BatchRunError("another Berth process is running this job (\(layout.root)); wait for it to finish")
    }
    defer {
      flock(lockFD, LOCK_UN)
      close(lockFD)
    }
    try JournalWriter.replaceDurably(WorkerProgram.source, at: layout.workerProgram)
    let previous = RunRecord.read(layout.recordFile)
    let header = request.header
    var replayed = JournalReplay.replay(
      (try? String(contentsOfFile: layout.journalFile, encoding: .utf8)) ?? "", expected: header
    ).entries
    if previous?.status == .failed {
      // Applying again after a failed run retries what failed; what succeeded stays done.
      replayed = replayed.filter { $0.value.failed == 0 }
    }
    let toScore = request.filesToScore.map(\.name)
    batches = MiniBatchPartition.split(toScore, size: request.settings.miniBatchSize)
    entries = replayed.filter { $0.key < batches.count && batches[$0.key] == $0.value.files }
    pending = batches.indices.filter { entries[$0] == nil }
    journal = try JournalWriter(path: layout.journalFile, header: header, keep: Array(entries.values))
    try JournalWriter.replaceDurably(
      JournalReplay.line(request.files.map { [$0.name, $0.sha256] }), at: layout.inputsFile)
    try JournalWriter.replaceDurably(
      JournalReplay.line(
        request.files.compactMap { file in request.reused[file].map { [file.name, file.sha256, $0] } }),
      at: layout.reusedFile)
    let resumes = (previous.map { $0.status == .running ? $0.resumes + 1 : $0.resumes } ?? 0)
    let startedAt = previous?.status == .running ? previous!.startedAt : now()
    let earlierSeconds = previous?.status == .running ? previous!.seconds : 0
    var record = RunRecord(
      service: request.service, revision: request.revision, inputDigest: header.inputDigest, status: .running,
      items: request.files.count, miniBatches: batches.count, reused: request.files.count - toScore.count,
      processes: request.settings.processCountPerNode, startedAt: startedAt, seconds: earlierSeconds, resumes: resumes,
      scoringKey: request.scoringKey)
    try record.write(to: layout.recordFile)
    let workers = min(request.settings.processCountPerNode, pending.count)
    if pending.isEmpty && !batches.isEmpty {
      request.progress(
        "all \(Self.count(batches.count, "mini-batch", "mini-batches")) are in the journal; writing the output without scoring")
    } else {
      if !entries.isEmpty {
        request.progress(
          "resuming: \(entries.count) of \(batches.count) mini-batches already done (journal), \(pending.count) to score")
      }
      let remaining = pending.reduce(0) { $0 + batches[$1].count }
      request.progress(
        "scoring \(Self.count(remaining, "file")) in \(Self.count(pending.count, "mini-batch", "mini-batches")) of \(request.settings.miniBatchSize) with \(Self.count(workers, "worker process", "worker processes"))"
          + (record.reused > 0 ? " (\(record.reused) reused from earlier runs)" : ""))
    }
    let group = DispatchGroup()
    for slot in 0..<workers {
      group.enter()
      let thread = Thread { [self] in
        work(slot: slot)
        group.leave()
      }
      thread.name = "berth-batch-worker-\(slot)"
      thread.start()
    }
    group.wait()
    let elapsed = (ContinuousClock.now - started).seconds
    let (succeeded, failed) = RunOutput.counts(entries)
    record.succeeded = succeeded + record.reused
    record.failed = failed
    record.seconds = earlierSeconds + elapsed
    let scoring = firstReady.map { (ContinuousClock.now - $0).seconds }
    record.scoringSeconds = scoring
    record.scoredNow = scoredThisTime
    record.finishedAt = now()
    if let abortReason {
      record.status = .failed
      record.message = abortReason.message
      try record.write(to: layout.recordFile)
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
    request.progress(
      "completed: \(record.succeeded) succeeded, \(record.failed) failed of \(record.items) in \(String(format: "%.1f", elapsed)) s"
        + (scoredThisTime > 0 ? " (\(rate(scoredThisTime, scoring ?? elapsed)) files/s once the workers were up)" : ""))
    return record
  }

  /// One worker slot: starts a worker and feeds it mini-batches until the queue is empty or the run stops.
  private func work(slot: Int) {
    var worker: WorkerProcess?
    defer { worker?.finish() }
    // The previous mini-batch is journaled (fsync) after the next one is sent, so the worker scores while Berth
    // waits for the disk; it is journaled before this slot stops in every case.
    var deferred: JournalEntry?
    defer { if let deferred { record(deferred) } }
    while let index = next() {
      let files = batches[index]
      var attempts = 0
      var lastError = ""
      var entry: JournalEntry?
      while attempts <= request.settings.retries, entry == nil, !stopped {
        attempts += 1
        if worker == nil {
          switch start(slot: slot) {
          case .success(let started): worker = started
          case .failure(let error):
            stop(error.message, logTail: error.logTail)
            return
          }
        }
        let paths = files.map { request.inputRoot + "/" + $0 }
        guard worker!.send(["files": paths]) else {
          lastError = "worker process \(worker!.pid) is gone"
          worker!.kill()
          worker = nil
          continue
        }
        if let done = deferred {
          record(done)
          deferred = nil
        }
        switch worker!.receive(timeout: .seconds(request.settings.runInvocationTimeout)) {
        case .message(let reply):
          if let rows = reply["rows"] as? [String] {
            let missing = max(0, files.count - rows.count)
            let errors =
              missing == 0
              ? [] : [ItemFailure(file: nil, error: "run() returned \(rows.count) rows for \(files.count) files")]
            entry = JournalEntry(index: index, files: files, rows: rows, failed: missing, errors: errors, attempts: attempts)
          } else {
            lastError = (reply["error"] as? String) ?? "run() failed"
          }
        case .died(let why):
          lastError = why
          worker = nil
        case .timedOut:
          lastError =
            "run() took longer than \(request.settings.runInvocationTimeout) s (run_invocation_timeout); worker process \(worker!.pid) was killed"
          worker!.kill()
          worker = nil
        }
      }
      if stopped { return }
      let finished =
        entry
        ?? JournalEntry(
          index: index, files: files, rows: [], failed: files.count,
          errors: files.map { ItemFailure(file: $0, error: lastError) }, attempts: attempts)
      if let done = deferred { record(done) }
      deferred = finished
    }
  }

  /// Starts a worker in `slot` and waits for its `init()`.
  private func start(slot: Int) -> Result<WorkerProcess, BatchRunError> {
    let log = layout.workerLog(slot)
    do {
      var environment = request.environment
      environment["BERTH_ENTRY_SCRIPT"] = request.entryScript
      environment["BERTH_ROLE"] = "batch-worker"
      environment["BERTH_RUN_DIR"] = layout.root
      environment["PYTHONUNBUFFERED"] = "1"
      environment["PYTHONDONTWRITEBYTECODE"] = "1"  // no __pycache__ in the user's source folder
      let worker = try WorkerProcess(
        python: request.python, program: layout.workerProgram, environment: environment,
        workingDirectory: (request.entryScript as NSString).deletingLastPathComponent, logFile: log)
      try? "\(worker.pid)\n".write(toFile: layout.workerPIDFile(slot), atomically: true, encoding: .utf8)
      switch worker.receive(timeout: .seconds(request.initTimeout)) {
      case .message(let reply) where reply["ready"] != nil:
        lock.withLock { if firstReady == nil { firstReady = .now } }
        return .success(worker)
      case .message(let reply):
        worker.kill()
        let cause = (reply["init_error"] as? String) ?? "the worker did not start"
        return .failure(BatchRunError("init() of \(request.service) failed: \(cause)", logTail: Self.tail(of: log)))
      case .died(let why):
        return .failure(
          BatchRunError("a worker of \(request.service) died before init() finished: \(why)", logTail: Self.tail(of: log)))
      case .timedOut:
        worker.kill()
        return .failure(
          BatchRunError("init() of \(request.service) took longer than \(request.initTimeout) s", logTail: Self.tail(of: log)))
      }
    } catch let error as BatchRunError {
      return .failure(error)
    } catch {
      return .failure(BatchRunError("cannot start a worker: \(error)"))
    }
  }

  private var stopped: Bool { lock.withLock { abortReason != nil } }

  private func next() -> Int? {
    lock.withLock {
      guard abortReason == nil, !pending.isEmpty else { return nil }
      return pending.removeFirst()
    }
  }

  private func stop(_ message: String, logTail: [String] = []) {
    lock.withLock { if abortReason == nil { abortReason = (message, logTail) } }
  }

  /// Journals a finished mini-batch, counts it, reports progress, and stops the run past the error threshold.
  private func record(_ entry: JournalEntry) {
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
        "\(entries.count)/\(batches.count) mini-batches, \(succeeded) succeeded, \(failed) failed, \(rate(scoredThisTime, elapsed)) files/s"
    }
    if let line { request.progress(line) }
  }

  /// "1 file", "3 files".
  static func count(_ value: Int, _ one: String, _ many: String? = nil) -> String {
    "\(value) " + (value == 1 ? one : many ?? one + "s")
  }

  private func rate(_ files: Int, _ seconds: Double) -> String {
    String(format: "%.1f", seconds > 0 ? Double(files) / seconds : 0)
  }

  /// The last 40 lines of a worker's log.
  static func tail(of path: String) -> [String] {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return Array(text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).suffix(40))
  }
}

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
