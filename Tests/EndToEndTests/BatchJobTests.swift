import BerthTesting
import Foundation
import Testing

/// The batch-diabetes example through the real CLI: a job runs once per input, survives `berth` being killed, and
/// `berth jobs` reports it.
@Suite(.serialized, .timeLimit(.minutes(10))) struct BatchJobTests {
  /// A copy of manifests/examples/batch-diabetes with `extra` more input files and a wrapper entry script that logs
  /// its start and sleeps `delay` seconds per call (so a run lasts long enough to be killed half-way).
  func example(extra: Int, delay: Double) throws -> ScratchDirectory {
    let scratch = try ScratchDirectory("batch-e2e")
    let source = RepositoryPaths.examples.appendingPathComponent("batch-diabetes").path
    for item in try FileManager.default.contentsOfDirectory(atPath: source) where ![".berth", "results"].contains(item) {
      try FileManager.default.copyItem(atPath: source + "/" + item, toPath: scratch.path + "/" + item)
    }
    let base = try String(contentsOfFile: scratch.path + "/data/patients-00.csv", encoding: .utf8).split(separator: "\n")
    for index in 0..<extra {
      let rows = (0..<2).map { base[(index + $0) % base.count] }.joined(separator: "\n")
      try scratch.write("data/extra-\(String(format: "%04d", index)).csv", rows + "\n")
    }
    try scratch.write(
      "src/slow_score.py",
      "import time\n\nimport batch_score\n\n\ndef init():\n    print('worker ready', flush=True)\n    batch_score.init()\n\n\n"
        + "def run(mini_batch):\n    time.sleep(\(delay))\n    return batch_score.run(mini_batch)\n")
    let manifest = scratch.path + "/berth.yaml"
    let text = try String(contentsOfFile: manifest, encoding: .utf8)
      .replacingOccurrences(of: "entry_script: batch_score.py", with: "entry_script: slow_score.py")
    try text.write(toFile: manifest, atomically: true, encoding: .utf8)
    try scratch.write(
      "workspace.yaml",
      "apiVersion: berth/v1\nkind: Workspace\nmetadata: {name: test}\nspec: {environment_cache: \(LocalServiceTests.environmentCache)}\n"
    )
    return scratch
  }

  /// The journal of the job's only run, once it exists.
  func journal(_ scratch: ScratchDirectory) -> String? {
    let runs = scratch.path + "/.berth/run/_batch/diabetes-batch/runs"
    guard let run = (try? FileManager.default.contentsOfDirectory(atPath: runs))?.first else { return nil }
    return try? String(contentsOfFile: runs + "/" + run + "/journal.jsonl", encoding: .utf8)
  }

  @Test func jobRunsOncePerInputAndResumesAfterBerthIsKilled() throws {
    // Uninterrupted: the reference output.
    let whole = try example(extra: 100, delay: 0.05)
    let first = try BerthProcess.run(["apply", "--auto-approve"], in: whole.path)
    #expect(first.status == 0, "\(first.output)")
    #expect(first.stdout.contains("service/diabetes-batch: run "), "\(first.stdout)")
    #expect(first.stdout.contains("completed: 112 of 112 items"), "\(first.stdout)")
    let reference = try String(contentsOfFile: whole.path + "/results/parallel_run_step.txt", encoding: .utf8)
    #expect(reference.split(separator: "\n").count == 112)
    #expect(reference.hasPrefix("extra-0000.csv "))

    // Applied again: nothing to do, and the plan says so.
    let plan = try BerthProcess.run(["plan", "--detailed-exitcode"], in: whole.path)
    #expect(plan.status == 0, "\(plan.output)")
    #expect(plan.stdout.contains("No changes."), "\(plan.stdout)")
    let again = try BerthProcess.run(["apply", "--auto-approve"], in: whole.path)
    #expect(again.status == 0 && !again.stdout.contains("scoring "), "\(again.output)")

    // Killed half-way (SIGKILL of berth), then applied again: resumes from the journal, same bytes.
    let killed = try example(extra: 100, delay: 0.05)
    let apply = try BerthProcess.start(["apply", "--auto-approve"], in: killed.path)
    var journaled = 0
    for _ in 0..<1200 where apply.isRunning {
      journaled = (journal(killed)?.split(separator: "\n").count ?? 0) - 1
      if journaled >= 8 { break }
      Thread.sleep(forTimeInterval: 0.05)
    }
    kill(apply.processIdentifier, SIGKILL)
    apply.waitUntilExit()
    #expect(journaled >= 8 && journaled < 28, "killed mid-run, after \(journaled) of 28 mini-batches")
    #expect(!FileManager.default.fileExists(atPath: killed.path + "/results/parallel_run_step.txt"))
    let resumed = try BerthProcess.run(["apply", "--auto-approve"], in: killed.path)
    #expect(resumed.status == 0, "\(resumed.output)")
    #expect(resumed.stdout.contains("resuming: "), "\(resumed.stdout)")
    #expect(try String(contentsOfFile: killed.path + "/results/parallel_run_step.txt", encoding: .utf8) == reference)

    // berth jobs: the run, its counts, its workers' logs.
    let list = try BerthProcess.run(["jobs", "list"], in: killed.path)
    #expect(list.stdout.contains("\tcompleted\t112/112 succeeded\t0 failed\t"), "\(list.output)")
    let show = try BerthProcess.run(["jobs", "show", "diabetes-batch"], in: killed.path)
    #expect(show.stdout.contains("items:      112 (112 succeeded, 0 failed, 0 reused)"), "\(show.output)")
    #expect(show.stdout.contains("resumes: 1"), "\(show.output)")
    let logs = try BerthProcess.run(["jobs", "logs", "diabetes-batch"], in: killed.path)
    #expect(logs.stdout.contains("[worker-0] worker ready"), "\(logs.output)")
    let serviceLogs = try BerthProcess.run(["logs", "diabetes-batch"], in: killed.path)
    #expect(serviceLogs.stdout.contains("[worker-1] worker ready"), "\(serviceLogs.output)")

    // A new input file is a new input: the plan shows it, the next apply runs again.
    try whole.write(
      "data/late.csv", reference.isEmpty ? "" : String(contentsOfFile: whole.path + "/data/patients-01.csv", encoding: .utf8))
    let changed = try BerthProcess.run(["plan", "--detailed-exitcode"], in: whole.path)
    #expect(changed.status == 2, "\(changed.output)")
    #expect(changed.stdout.contains("inputs.sha256"), "\(changed.stdout)")
    let rerun = try BerthProcess.run(["apply", "--auto-approve"], in: whole.path)
    #expect(rerun.stdout.contains("completed: 113 of 113 items"), "\(rerun.output)")
  }
}
