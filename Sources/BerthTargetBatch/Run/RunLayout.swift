/// The files of one run: `<runs>/<revision>/` holds the journal, the status, the inputs and each worker's log.
public struct RunLayout: Hashable, Sendable {
  public var root: String

  public init(root: String) { self.root = root }

  public var journalFile: String { root + "/journal.jsonl" }
  public var recordFile: String { root + "/run.json" }
  public var inputsFile: String { root + "/inputs.json" }
  /// `[[name, sha256, row]]` of the files this run took from earlier runs (`incremental`).
  public var reusedFile: String { root + "/reused.json" }
  public var lockFile: String { root + "/run.lock" }
  public var workerProgram: String { root + "/" + WorkerProgram.fileName }
  public func workerLog(_ slot: Int) -> String { root + "/worker-\(slot).log" }
  public func workerPIDFile(_ slot: Int) -> String { root + "/worker-\(slot).pid" }
}
