/// What a finished run writes, computed from its journal entries alone (so a resumed run writes the same bytes).
public enum RunOutput {
  /// The name ParallelRunStep gives the `append_row` output file.
  public static let appendRowFile = "parallel_run_step.txt"

  /// Every row of every mini-batch, mini-batches in input order, one line each.
  public static func appendRowText(_ entries: [Int: JournalEntry]) -> String {
    entries.keys.sorted().flatMap { entries[$0]!.rows }.map { $0 + "\n" }.joined()
  }

  /// Item counts over `entries`.
  public static func counts(_ entries: [Int: JournalEntry]) -> (succeeded: Int, failed: Int) {
    entries.values.reduce((0, 0)) { ($0.0 + $1.succeeded, $0.1 + $1.failed) }
  }

  /// Failed items of `entries`, in input order.
  public static func failures(_ entries: [Int: JournalEntry]) -> [ItemFailure] {
    entries.keys.sorted().flatMap { entries[$0]!.errors }
  }
}

extension RunOutput {
  /// The `append_row` text of a run whose `files` were partly reused: rows in input order, reused and scored alike.
  ///
  /// A scored mini-batch whose `run()` gave one row per file contributes each row at its file's place; one that gave
  /// another number of rows contributes them all at its first file's place (which row is whose is unknown).
  public static func appendRowText(files: [InputFile], reused: [InputFile: String], entries: [Int: JournalEntry]) -> String {
    if reused.isEmpty { return appendRowText(entries) }
    var rowsAtFile: [String: [String]] = [:]
    for entry in entries.values {
      if entry.rows.count == entry.files.count {
        for (file, row) in zip(entry.files, entry.rows) { rowsAtFile[file, default: []].append(row) }
      } else if let first = entry.files.first {
        rowsAtFile[first, default: []] += entry.rows
      }
    }
    var text = ""
    for file in files {
      if let row = reused[file] {
        text += row + "\n"
      } else {
        for row in rowsAtFile[file.name] ?? [] { text += row + "\n" }
      }
    }
    return text
  }
}
