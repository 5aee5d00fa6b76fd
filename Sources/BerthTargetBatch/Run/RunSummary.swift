import Foundation

/// The run summary file written next to the output: counts, timing, and every failed item with its error.
public enum RunSummary {
  public static let fileName = "run_summary.txt"

  public static func text(_ record: RunRecord, failures: [ItemFailure]) -> String {
    var lines = [
      "service: \(record.service)",
      "revision: \(record.revision)",
      "inputs: \(record.inputDigest)",
      "status: \(record.status.rawValue)",
      "items: \(record.items)",
      "succeeded: \(record.succeeded)",
      "failed: \(record.failed)",
      "reused: \(record.reused)",
      "mini_batches: \(record.miniBatches)",
      "processes: \(record.processes)",
      "resumes: \(record.resumes)",
      String(format: "seconds: %.3f", record.seconds),
    ]
    if !failures.isEmpty {
      lines.append("failed items:")
      for failure in failures {
        let error = failure.error.replacingOccurrences(of: "\n", with: "\n    ")
        lines.append("  \(failure.file ?? "(unknown item)"): \(error)")
      }
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
