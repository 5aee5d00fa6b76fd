import BerthModel
import Foundation

/// What a batch pod said: its answer line (`PodWorkerProgram`), read out of its log, and the rest of the log. Pure.
struct PodAnswer: Equatable {
  var index: Int?
  var rows: [String]?
  var error: String?
  /// The error came from the entry script's `init()`: every pod would fail the same way.
  var initFailed = false
  /// The log without the answer line.
  var log: String

  static func parse(_ text: String, token: String) -> PodAnswer {
    var answer = PodAnswer(log: "")
    var kept: [Substring] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      for (marker, isResult) in [(PodWorkerProgram.resultMarker, true), (PodWorkerProgram.errorMarker, false)] {
        let prefix = "\(marker) \(token) "
        guard line.hasPrefix(prefix) else { continue }
        let payload = line.dropFirst(prefix.count)
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else { continue }
        answer.index = object["index"] as? Int
        if isResult {
          answer.rows = object["rows"] as? [String]
        } else {
          answer.error = object["error"] as? String
          answer.initFailed = object["init"] as? Bool ?? false
        }
      }
      if !(line.hasPrefix(PodWorkerProgram.resultMarker + " " + token + " ")
        || line.hasPrefix(PodWorkerProgram.errorMarker + " " + token + " "))
      {
        kept.append(line)
      }
    }
    answer.log = kept.joined(separator: "\n")
    return answer
  }

  /// Why a pod's container ended, from its status (`OOMKilled`, `exit code 137`), when it gave no answer.
  static func termination(_ pod: JSONValue) -> String? {
    guard let terminated = pod["status"]?["containerStatuses"]?[0]?["state"]?["terminated"] else {
      return pod["status"]?["reason"]?.stringValue.map { "pod \($0): \(pod["status"]?["message"]?.stringValue ?? "")" }
    }
    let reason = terminated["reason"]?.stringValue ?? "terminated"
    let code = terminated["exitCode"]?.intValue.map { " (exit code \($0))" } ?? ""
    return "the pod's container ended: \(reason)\(code)"
  }

  /// The message of a Job's `Failed` condition, when it has one.
  static func failedCondition(_ job: JSONValue) -> String? {
    for condition in job["status"]?["conditions"]?.arrayValue ?? []
    where condition["type"]?.stringValue == "Failed" && condition["status"]?.stringValue == "True" {
      let reason = condition["reason"]?.stringValue ?? "Failed"
      // Failed indexes are the run's failed items, already journaled; only other reasons stop the run here.
      if reason == "FailedIndexes" { return nil }
      return reason + (condition["message"]?.stringValue.map { ": \($0)" } ?? "")
    }
    return nil
  }
}
