import BerthTesting
import Foundation
import Testing

/// SIGKILL at any moment of an apply leaves state from which the next plan shows exactly the remaining work.
@Suite(.serialized) struct CrashSafetyTests {
  static let modelCount = 40

  /// Forty models, each a small file; registering them is real work (hash, copy, record).
  func scenario() throws -> ScratchDirectory {
    let scratch = try ScratchDirectory("crash")
    var manifests: [String] = []
    for index in 0..<Self.modelCount {
      try scratch.write("models/m\(index).bin", String(repeating: "model \(index) ", count: 20_000))
      manifests.append("apiVersion: berth/v1\nkind: Model\nmetadata: {name: m\(index)}\nspec: {path: models/m\(index).bin}\n")
    }
    try scratch.write("berth.yaml", manifests.joined(separator: "---\n"))
    return scratch
  }

  func planJSON(_ directory: String) throws -> [String: Any] {
    let result = try BerthProcess.run(["plan", "--json", "--no-refresh"], in: directory)
    #expect(result.status == 0, "\(result.stderr)")
    return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
  }

  func recordedModels(_ directory: String) throws -> [String] {
    let result = try BerthProcess.run(["state", "list"], in: directory)
    return result.stdout.split(separator: "\n").compactMap { line in
      line.hasPrefix("model/") ? String(line.split(separator: "\t")[0]) : nil
    }
  }

  /// Reads the process's output as it comes and SIGKILLs it once `count` lines contain `marker`.
  static func kill(_ process: Process, afterLinesContaining marker: String, count: Int) {
    let handle = (process.standardOutput as! Pipe).fileHandleForReading
    var seen = 0
    var text = ""
    while process.isRunning {
      let chunk = handle.availableData
      if chunk.isEmpty { break }
      text += String(decoding: chunk, as: UTF8.self)
      seen = text.components(separatedBy: marker).count - 1
      if seen >= count { break }
    }
    Foundation.kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }

  @Test func killedApplyLeavesExactlyTheRemainingWork() throws {
    var partial = 0
    // Kill points: as soon as the first action starts, then after k registrations have been reported.
    for completions in [0, 1, 2, 3, 5, 8, 13, 21, 30, 39] {
      let scratch = try scenario()
      let apply = try BerthProcess.start(["apply", "--auto-approve", "--parallelism", "3"], in: scratch.path)
      Self.kill(apply, afterLinesContaining: completions == 0 ? "registering…" : "registered version", count: max(1, completions))
      let delay = completions

      let recorded = try recordedModels(scratch.path)
      if !recorded.isEmpty && recorded.count < Self.modelCount { partial += 1 }
      let plan = try planJSON(scratch.path)
      let actions = plan["actions"] as! [[String: Any]]
      let planned = Set(actions.map { $0["address"] as! String })
      // Exactly the models not recorded are planned, each as a registration of version 1.
      #expect(planned.isDisjoint(with: recorded), "killed after \(delay) registrations")
      #expect(planned.count + recorded.count == Self.modelCount, "killed after \(delay) registrations")
      #expect(actions.allSatisfy { $0["kind"] as? String == "register" })
      #expect(actions.allSatisfy { ($0["attributes"] as? [String: Any])?["version"] as? Int == 1 })

      // The killed run's lock is detected as dead, and finishing the apply converges.
      let finish = try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path)
      #expect(finish.status == 0, "\(finish.output)")
      #expect((try planJSON(scratch.path)["actions"] as! [Any]).isEmpty)
      let versions = try BerthProcess.run(["models", "list"], in: scratch.path).stdout
      #expect(versions.split(separator: "\n").count == Self.modelCount)
      #expect(!versions.contains("\tv2\t"))
    }
    // The kill points must really fall inside applies, not only before or after them.
    #expect(partial >= 3, "only \(partial) kills interrupted an apply half-way")
  }
}
