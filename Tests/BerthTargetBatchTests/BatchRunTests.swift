import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

@testable import BerthTargetBatch

#if canImport(Glibc)
import Glibc
#endif

/// The batch target with real worker processes in the diabetes example's real environment and model.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct BatchRunTests {
  func apply(_ provider: BatchTargetProvider, _ deployment: ServiceDeployment, progress: ProgressLines = ProgressLines())
    async throws -> Attributes
  {
    try await provider.apply(ApplyRequest(operation: .deploy(deployment), progress: progress.sink)).outputs
  }

  func python(_ provider: BatchTargetProvider, _ fixture: DiabetesBatchFixture) async throws -> String {
    try await provider.environments.prepare(condaFile: fixture.root + "/env/conda.yaml").environment.pythonPath
  }

  @Test func outputEqualsScoringEachFileOneByOne() async throws {
    let fixture = try DiabetesBatchFixture()
    try fixture.addInputs(25)
    let provider = fixture.provider()
    let progress = ProgressLines()
    let outputs = try await apply(provider, fixture.deployment(), progress: progress)
    let output = try fixture.read("results/parallel_run_step.txt")
    let expected = try fixture.scoredOneByOne(python: try await python(provider, fixture))
    #expect(output.split(separator: "\n").count == 37)
    #expect(output == expected)
    #expect(output.hasPrefix("more-0000.csv "), "rows in input order, each naming its file")
    #expect(outputs["succeeded"] == .int(37) && outputs["failed"] == .int(0))
    #expect(progress.lines.contains { $0.contains("10/10 mini-batches, 37 succeeded, 0 failed") }, "\(progress.lines)")
    let summary = try fixture.read("results/run_summary.txt")
    #expect(summary.contains("items: 37\nsucceeded: 37\nfailed: 0\n"))
    // Two workers, each called init() once: the example logs nothing, so count the processes that started.
    let run = provider.layout.run("diabetes-batch", revision: "rev0000001")
    #expect(FileManager.default.fileExists(atPath: run.workerPIDFile(0)))
    #expect(FileManager.default.fileExists(atPath: run.workerPIDFile(1)))
  }

  @Test func errorThresholdFailsTheRunOnlyWhenExceeded() async throws {
    let fixture = try DiabetesBatchFixture()
    try "1,2,3\n".write(toFile: fixture.data + "/patients-05.csv", atomically: true, encoding: .utf8)  // 3 features, not 10
    let provider = fixture.provider()
    let strict = fixture.deployment(
      revision: "rev-strict", settings: ["error_threshold": .int(0), "mini_batch_size": .int(1), "retries": .int(1)],
      output: "strict")
    let error = await #expect(throws: TargetError.self) { try await apply(provider, strict) }
    #expect(error?.message.contains("1 item failed, more than error_threshold 0") == true, "\(String(describing: error))")
    #expect(error?.message.contains("X has 3 features") == true, "the first error is shown: \(String(describing: error))")
    let observed = try await provider.observe(
      ObserveRequest(
        computeTargetName: "batch", computeTarget: ComputeTargetSpec(type: .batch),
        services: [ObservedService(name: "diabetes-batch", recordedOutputs: ["revision": .string("rev-strict")])]))
    #expect(observed.services["diabetes-batch"]?.health == .degraded)

    let tolerant = fixture.deployment(
      revision: "rev-tolerant", settings: ["error_threshold": .int(1), "mini_batch_size": .int(1), "retries": .int(1)],
      output: "tolerant")
    let outputs = try await apply(provider, tolerant)
    #expect(outputs["failed"] == .int(1) && outputs["succeeded"] == .int(11))
    let rows = try fixture.read("tolerant/parallel_run_step.txt").split(separator: "\n")
    #expect(rows.count == 11 && !rows.contains { $0.hasPrefix("patients-05.csv") })
    let summary = try fixture.read("tolerant/run_summary.txt")
    #expect(summary.contains("failed items:\n  patients-05.csv:"), "\(summary)")
    let failures = JobCatalog(runtimeDirectory: fixture.runtime).failures(of: "diabetes-batch", revision: "rev-tolerant")
    #expect(failures.count == 1 && failures.first?.file == "patients-05.csv")
  }

  @Test func killedWorkerIsReplacedAndTheRunCompletes() async throws {
    let fixture = try DiabetesBatchFixture()
    try fixture.addInputs(28)
    try fixture.wrapper("slow_score.py", delay: 0.3)
    let provider = fixture.provider()
    let expected = try fixture.scoredOneByOne(python: try await python(provider, fixture))
    let run = provider.layout.run("diabetes-batch", revision: "rev-kill")
    let killer = Task.detached {
      // Once two mini-batches are journaled, kill -9 worker 0 in the middle of its next call.
      for _ in 0..<600 {
        let journal = (try? String(contentsOfFile: run.journalFile, encoding: .utf8)) ?? ""
        if journal.split(separator: "\n").count >= 3,
          let text = try? String(contentsOfFile: run.workerPIDFile(0), encoding: .utf8),
          let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
          return kill(pid, SIGKILL) == 0 ? pid : 0
        }
        try? await Task.sleep(for: .milliseconds(50))
      }
      return Int32(0)
    }
    let outputs = try await apply(
      provider, fixture.deployment(revision: "rev-kill", entryScript: "slow_score.py", settings: ["mini_batch_size": .int(2)]))
    let killed = await killer.value
    #expect(killed > 0, "the worker was killed mid-run")
    #expect(outputs["failed"] == .int(0) && outputs["succeeded"] == .int(40))
    #expect(try fixture.read("results/parallel_run_step.txt") == expected)
    let retried = JournalReplay.entries(try String(contentsOfFile: run.journalFile, encoding: .utf8)).filter { $0.attempts > 1 }
    #expect(retried.count == 1, "the mini-batch the killed worker held was scored again")
    let replacement = try String(contentsOfFile: run.workerPIDFile(0), encoding: .utf8).trimmingCharacters(
      in: .whitespacesAndNewlines)
    #expect(Int32(replacement) != killed, "a new worker took the killed one's place")
  }

  @Test func stuckCallIsKilledAfterRunInvocationTimeout() async throws {
    let fixture = try DiabetesBatchFixture()
    try fixture.wrapper(
      "hang_score.py", runLines: ["if any('patients-03' in path for path in mini_batch):", "    time.sleep(3600)"])
    let provider = fixture.provider()
    let started = ContinuousClock.now
    let outputs = try await apply(
      provider,
      fixture.deployment(
        revision: "rev-hang", entryScript: "hang_score.py",
        settings: ["mini_batch_size": .int(1), "run_invocation_timeout": .int(2), "retries": .int(1)]))
    #expect(ContinuousClock.now - started < .seconds(60))
    #expect(outputs["failed"] == .int(1) && outputs["succeeded"] == .int(11))
    let failures = JobCatalog(runtimeDirectory: fixture.runtime).failures(of: "diabetes-batch", revision: "rev-hang")
    #expect(failures.first?.file == "patients-03.csv")
    #expect(failures.first?.error.contains("longer than 2 s (run_invocation_timeout)") == true, "\(failures)")
  }

  @Test func interruptedRunResumesFromItsJournalWithIdenticalOutput() async throws {
    let fixture = try DiabetesBatchFixture()
    try fixture.addInputs(18)
    let provider = fixture.provider()
    let deployment = fixture.deployment(revision: "rev-resume", settings: ["mini_batch_size": .int(3)])
    _ = try await apply(provider, deployment)
    let uninterrupted = try fixture.read("results/parallel_run_step.txt")
    // Make the run look killed after three mini-batches, the third line half written, before the output existed.
    let run = provider.layout.run("diabetes-batch", revision: "rev-resume")
    let lines = try String(contentsOfFile: run.journalFile, encoding: .utf8).split(separator: "\n")
    try (lines.prefix(4).joined(separator: "\n") + "\n" + lines[4].prefix(25)).write(
      toFile: run.journalFile, atomically: true, encoding: .utf8)
    var record = try #require(RunRecord.read(run.recordFile))
    record.status = .running
    try record.write(to: run.recordFile)
    try FileManager.default.removeItem(atPath: fixture.root + "/results")
    let progress = ProgressLines()
    _ = try await apply(provider, deployment, progress: progress)
    #expect(progress.lines.contains("resuming: 3 of 10 mini-batches already done (journal), 7 to score"), "\(progress.lines)")
    #expect(progress.lines.contains("scoring 21 files in 7 mini-batches of 3 with 2 worker processes"), "\(progress.lines)")
    #expect(try fixture.read("results/parallel_run_step.txt") == uninterrupted)
    #expect(RunRecord.read(run.recordFile)?.resumes == 1)
  }

  @Test func completedRevisionIsNotRunAgainAndIncrementalScoresOnlyNewFiles() async throws {
    let fixture = try DiabetesBatchFixture()
    let provider = fixture.provider()
    let first = fixture.deployment(revision: "rev-first", settings: ["incremental": .bool(true)])
    _ = try await apply(provider, first)
    let progress = ProgressLines()
    let again = try await provider.apply(ApplyRequest(operation: .update(first, previous: [:]), progress: progress.sink))
    #expect(again.message == "run rev-first already completed; nothing scored")
    #expect(!progress.lines.contains { $0.hasPrefix("scoring") })

    try fixture.addInputs(2, prefix: "new")
    let more = ProgressLines()
    let outputs = try await apply(
      provider, fixture.deployment(revision: "rev-second", settings: ["incremental": .bool(true)]), progress: more)
    #expect(
      more.lines.contains { $0.hasPrefix("scoring 2 files in 1 mini-batch") && $0.contains("(12 reused from earlier runs)") })
    #expect(outputs["succeeded"] == .int(14))
    let expected = try fixture.scoredOneByOne(python: try await python(provider, fixture))
    #expect(try fixture.read("results/parallel_run_step.txt") == expected, "reused and new rows, in input order")
  }

  @Test func deletedOutputIsObservedMissingAndWrittenAgainFromTheJournal() async throws {
    let fixture = try DiabetesBatchFixture()
    let provider = fixture.provider()
    let deployment = fixture.deployment(revision: "rev-drift")
    let outputs = try await apply(provider, deployment)
    let original = try fixture.read("results/parallel_run_step.txt")
    try FileManager.default.removeItem(atPath: fixture.root + "/results/parallel_run_step.txt")
    let observed = try await provider.observe(
      ObserveRequest(
        computeTargetName: "batch", computeTarget: ComputeTargetSpec(type: .batch),
        services: [ObservedService(name: "diabetes-batch", recordedOutputs: outputs)]))
    #expect(observed.services["diabetes-batch"]?.health == .missing)
    let progress = ProgressLines()
    _ = try await provider.apply(ApplyRequest(operation: .update(deployment, previous: outputs), progress: progress.sink))
    #expect(progress.lines.contains("all 3 mini-batches are in the journal; writing the output without scoring"))
    #expect(try fixture.read("results/parallel_run_step.txt") == original)
  }

  @Test func rowsFromTuplesAndTooFewRowsAndAWrongReturnType() async throws {
    let fixture = try DiabetesBatchFixture()
    try """
    import os


    def init():
        pass


    def run(mini_batch):
        if any("patients-11" in path for path in mini_batch):
            return {"not": "a list"}
        rows = [(os.path.basename(path), len(open(path).read().splitlines())) for path in mini_batch]
        return rows[:-1] if any("patients-07" in path for path in mini_batch) else rows
    """.write(toFile: fixture.root + "/src/tuple_score.py", atomically: true, encoding: .utf8)
    let outputs = try await apply(
      fixture.provider(),
      fixture.deployment(
        revision: "rev-tuples", entryScript: "tuple_score.py", settings: ["retries": .int(0), "process_count_per_node": .int(1)]))
    #expect(outputs["succeeded"] == .int(7) && outputs["failed"] == .int(5))
    #expect(
      try fixture.read("results/parallel_run_step.txt")
        == "patients-00.csv 5\npatients-01.csv 5\npatients-02.csv 5\npatients-03.csv 5\n"
        + "patients-04.csv 5\npatients-05.csv 5\npatients-06.csv 5\n")
    let failures = JobCatalog(runtimeDirectory: fixture.runtime).failures(of: "diabetes-batch", revision: "rev-tuples")
    #expect(failures.first == ItemFailure(file: nil, error: "run() returned 3 rows for 4 files"))
    #expect(failures.dropFirst().map(\.file) == ["patients-08.csv", "patients-09.csv", "patients-10.csv", "patients-11.csv"])
    #expect(failures.last?.error.contains("run() must return a list or a pandas DataFrame, not dict") == true, "\(failures)")
  }

  @Test(arguments: ProviderConformance.allCases)
  func conformance(_ check: ProviderConformance) async throws {
    let fixture = try DiabetesBatchFixture()
    try fixture.wrapper("broken_score.py", initLines: ["raise RuntimeError('model file is corrupt: boom-7')"])
    let subject = ProviderSubject(
      provider: fixture.provider(), computeTargetName: "batch", computeTarget: ComputeTargetSpec(type: .batch),
      deployment: { name, generation in
        fixture.deployment(name: name, revision: "rev000000\(generation)", version: generation, output: "out-\(name)")
      },
      broken: { name in
        (fixture.deployment(name: name, revision: "rev00000bad", entryScript: "broken_score.py"), "model file is corrupt: boom-7")
      },
      injectDrift: { _, outputs in
        // Someone deletes the job's results: the run is no longer as recorded, and the next apply writes them again.
        guard case .string(let file)? = outputs["output_file"] else { throw ConformanceFailure(message: "no output_file") }
        try FileManager.default.removeItem(atPath: file)
      })
    try await check.run(subject)
  }
}
