import Foundation

/// Kubernetes' interval notation for sets of completion indexes (`status.completedIndexes`, `failedIndexes`):
/// `"0-2,5,7-8"`. Pure.
enum IndexRanges {
  /// The indexes `text` names, ascending as written; malformed parts are skipped.
  static func parse(_ text: String) -> [Int] {
    var found: [Int] = []
    for part in text.split(separator: ",") {
      let bounds = part.split(separator: "-", maxSplits: 1).map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard let first = bounds.first ?? nil else { continue }
      let last = bounds.count > 1 ? (bounds[1] ?? first) : first
      if last >= first { found.append(contentsOf: first...last) }
    }
    return found
  }

  /// `indexes` in the notation, runs of consecutive values as `first-last`.
  static func format(_ indexes: [Int]) -> String {
    var runs: [(first: Int, last: Int)] = []
    for index in Set(indexes).sorted() {
      if let run = runs.last, run.last + 1 == index {
        runs[runs.count - 1].last = index
      } else {
        runs.append((index, index))
      }
    }
    return runs.map { $0.first == $0.last ? "\($0.first)" : "\($0.first)-\($0.last)" }.joined(separator: ",")
  }
}
