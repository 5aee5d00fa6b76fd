/// A progress line that counts (`12/40 mini-batches, 30 succeeded, 0 failed, 41.2 files/s`) drawn as a bar on a
/// terminal: `[#########...............]  30% 12/40 mini-batches, …`. Pure: a line in, a line out.
///
/// Providers report counted progress by starting a line with `DONE/TOTAL `; everything else stays a plain line, and
/// where output is not a terminal every line stays plain (logs and CI get one line per report).
public enum ProgressBar {
  /// `(done, total)` when `line` starts with `DONE/TOTAL ` and 0 ≤ done ≤ total, total > 0.
  public static func fraction(of line: String) -> (done: Int, total: Int)? {
    guard let space = line.firstIndex(of: " ") else { return nil }
    let head = line[..<space].split(separator: "/", omittingEmptySubsequences: false)
    guard head.count == 2, let done = Int(head[0]), let total = Int(head[1]), total > 0, (0...total).contains(done) else {
      return nil
    }
    return (done, total)
  }

  /// The bar for a counted line, `width` cells wide, or nil for a line that does not count.
  public static func render(_ line: String, width: Int = 24) -> String? {
    guard let (done, total) = fraction(of: line) else { return nil }
    let filled = done * width / total
    let percent = done * 100 / total
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let percentText = String(repeating: " ", count: max(0, 3 - String(percent).count)) + "\(percent)%"
    return "[\(bar)] \(percentText) \(line)"
  }
}
