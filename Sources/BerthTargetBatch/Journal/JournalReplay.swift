import Foundation

/// Reads a journal back: the mini-batches a killed run already finished.
public enum JournalReplay {
  /// What a journal says.
  public struct Replayed: Hashable, Sendable {
    /// Finished mini-batches by index.
    public var entries: [Int: JournalEntry]
    /// Whether the journal's last line was cut short (the runner was killed while writing it); that line is ignored.
    public var tornTail: Bool
  }

  /// The entries of `text` when its header is `expected`; nothing when the journal belongs to another run.
  ///
  /// A line that does not decode can only be the last one (each line is written and fsynced before the next), so
  /// it is dropped as torn; one in the middle means the file was edited and the whole journal is distrusted.
  public static func replay(_ text: String, expected: JournalHeader) -> Replayed {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    let decoder = JSONDecoder()
    guard let first = lines.first, let header = try? decoder.decode(JournalHeader.self, from: Data(first.utf8)),
      header == expected
    else { return Replayed(entries: [:], tornTail: false) }
    var entries: [Int: JournalEntry] = [:]
    var torn = false
    for (position, line) in lines.dropFirst().enumerated() {
      guard let entry = try? decoder.decode(JournalEntry.self, from: Data(line.utf8)) else {
        if position == lines.count - 2 {
          torn = true
          break
        }
        return Replayed(entries: [:], tornTail: false)
      }
      entries[entry.index] = entry
    }
    return Replayed(entries: entries, tornTail: torn)
  }

  /// The journal text of `header` and `entries`, one JSON line each (what `JournalWriter` appends).
  public static func line<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self) + "\n"
  }
}

extension JournalReplay {
  /// Every entry of a journal that decodes, whatever run it belongs to (for rows reused by `incremental`).
  public static func entries(_ text: String) -> [JournalEntry] {
    let decoder = JSONDecoder()
    return text.split(separator: "\n").dropFirst().compactMap { try? decoder.decode(JournalEntry.self, from: Data($0.utf8)) }
  }
}
