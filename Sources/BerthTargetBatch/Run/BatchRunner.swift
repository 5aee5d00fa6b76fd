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
  private let book: RunBook
  private let lock = NSLock()
  private var pending: [Int] = []

  public init(_ request: BatchRunRequest) {
    self.request = request
    self.layout = RunLayout(root: request.runDirectory)
    self.book = RunBook(request)
  }

  /// Runs (or finishes) the job and returns its final record; throws `BatchRunError` when the run cannot start.
  public func run(now: () -> Date = Date.init) throws -> RunRecord {
    pending = try book.begin(processes: request.settings.processCountPerNode, now: now)
    try JournalWriter.replaceDurably(WorkerProgram.source, at: layout.workerProgram)
    let workers = min(request.settings.processCountPerNode, pending.count)
    book.announce(pending: pending, workers: RunBook.count(workers, "worker process", "worker processes"))
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
    return try book.finish(now: now)
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
      let files = book.batches[index]
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
        book.markReady()
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

  private var stopped: Bool { book.stopped }

  private func next() -> Int? {
    lock.withLock {
      guard !book.stopped, !pending.isEmpty else { return nil }
      return pending.removeFirst()
    }
  }

  private func stop(_ message: String, logTail: [String] = []) { book.stop(message, logTail: logTail) }

  private func record(_ entry: JournalEntry) { book.record(entry) }

  /// The last 40 lines of a worker's log.
  static func tail(of path: String) -> [String] {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return Array(text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).suffix(40))
  }
}
