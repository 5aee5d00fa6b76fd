import Foundation

/// Reads the runs recorded on this machine, for `berth jobs`: every batch service's runs, newest last.
public struct JobCatalog: Sendable {
  public let layout: BatchLayout

  public init(runtimeDirectory: String) { layout = BatchLayout(runtimeDirectory: runtimeDirectory) }

  public init(layout: BatchLayout) { self.layout = layout }

  /// Service instances that have runs.
  public func instances() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: layout.root)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
  }

  /// The runs of `instance`, oldest first.
  public func runs(of instance: String) -> [RunRecord] {
    let folder = layout.runs(instance)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.compactMap { RunRecord.read(RunLayout(root: folder + "/" + $0).recordFile) }
      .sorted { ($0.startedAt, $0.revision) < ($1.startedAt, $1.revision) }
  }

  /// The failed items of a run, read from its journal, in input order.
  public func failures(of instance: String, revision: String) -> [ItemFailure] {
    let run = layout.run(instance, revision: revision)
    let text = (try? String(contentsOfFile: run.journalFile, encoding: .utf8)) ?? ""
    return JournalReplay.entries(text).sorted { $0.index < $1.index }.flatMap(\.errors)
  }

  /// The worker logs of a run, each line prefixed with its worker (`[worker-0] …`), the last `tail` lines of each.
  public func logs(of instance: String, revision: String, tail: Int) -> [String] {
    let run = layout.run(instance, revision: revision)
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: run.root)) ?? [])
      .filter { $0.hasPrefix("worker-") && $0.hasSuffix(".log") }.sorted()
    return names.flatMap { name -> [String] in
      let text = (try? String(contentsOfFile: run.root + "/" + name, encoding: .utf8)) ?? ""
      var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      if lines.last == "" { lines.removeLast() }
      let worker = String(name.dropLast(".log".count))
      return lines.suffix(tail).map { "[\(worker)] \($0)" }
    }
  }
}
