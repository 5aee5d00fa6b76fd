import BerthModel
import BerthTargetAPI
import Foundation

/// What runs for a batch service: the status of the run of its recorded revision.
enum BatchObservation {
  static func observe(_ service: ObservedService, layout: BatchLayout) -> Observation {
    guard case .string(let revision)? = service.recordedOutputs["revision"] else {
      return Observation(health: .missing, message: "no run recorded")
    }
    let run = layout.run(service.instance, revision: revision)
    guard let record = RunRecord.read(run.recordFile) else {
      return Observation(health: .missing, message: "no run of revision \(revision) under \(run.root)")
    }
    let counts: Attributes = [
      "items": .int(record.items), "succeeded": .int(record.succeeded), "failed": .int(record.failed),
    ]
    switch record.status {
    case .running:
      return Observation(
        health: .progressing, revision: record.revision,
        message: "run \(revision) was started at \(record.startedAt) and has not finished (running, or interrupted)",
        attributes: counts)
    case .failed:
      return Observation(
        health: .degraded, revision: record.revision, message: "run \(revision) failed: \(record.message ?? "")",
        attributes: counts)
    case .completed:
      for file in [record.outputFile, record.summaryFile].compactMap({ $0 })
      where !FileManager.default.fileExists(atPath: file) {
        return Observation(
          health: .missing, revision: record.revision, message: "the output \(file) of run \(revision) is gone",
          attributes: counts)
      }
      return Observation(
        health: .healthy, revision: record.revision,
        message: "run \(revision) completed: \(record.succeeded) of \(record.items) items", attributes: counts)
    }
  }
}
