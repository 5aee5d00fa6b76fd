import Foundation

/// Rows that earlier completed runs of a service gave for files, for `incremental: true`: a file whose name and
/// bytes an earlier run with the same scoring key already scored is not scored again.
enum ReusedRows {
  /// Rows by file from every completed run under `runsFolder` whose scoring key is `key`.
  static func find(in runsFolder: String, key: String, except revision: String) -> [InputFile: String] {
    var rows: [InputFile: String] = [:]
    let runs = (try? FileManager.default.contentsOfDirectory(atPath: runsFolder)) ?? []
    for name in runs.sorted() {
      let layout = RunLayout(root: runsFolder + "/" + name)
      guard let record = RunRecord.read(layout.recordFile), record.status == .completed, record.scoringKey == key,
        record.revision != revision,
        let inputsData = FileManager.default.contents(atPath: layout.inputsFile),
        let inputs = try? JSONDecoder().decode([[String]].self, from: inputsData),
        let journal = try? String(contentsOfFile: layout.journalFile, encoding: .utf8)
      else { continue }
      var digests: [String: String] = [:]
      for pair in inputs where pair.count == 2 { digests[pair[0]] = pair[1] }
      for entry in JournalReplay.entries(journal) where entry.rows.count == entry.files.count {
        for (file, row) in zip(entry.files, entry.rows) {
          if let sha = digests[file] { rows[InputFile(name: file, sha256: sha)] = row }
        }
      }
      // Rows that run itself reused are kept beside its journal.
      if let data = FileManager.default.contents(atPath: layout.reusedFile),
        let reused = try? JSONDecoder().decode([[String]].self, from: data)
      {
        for triple in reused where triple.count == 3 { rows[InputFile(name: triple[0], sha256: triple[1])] = triple[2] }
      }
    }
    return rows
  }
}
