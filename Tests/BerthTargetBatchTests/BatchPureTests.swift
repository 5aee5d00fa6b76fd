import BerthModel
import Foundation
import Testing

@testable import BerthTargetBatch

/// The pure parts of the batch target: partitioning, settings, the journal's replay, the output text.
@Suite struct BatchPureTests {
  @Test func miniBatchesKeepInputOrderAndTheLastIsShorter() {
    let files = (0..<7).map { "f\($0)" }
    #expect(MiniBatchPartition.split(files, size: 3) == [["f0", "f1", "f2"], ["f3", "f4", "f5"], ["f6"]])
    #expect(MiniBatchPartition.split(files, size: 10) == [files])
    #expect(MiniBatchPartition.split([], size: 2).isEmpty)
  }

  @Test func settingsReadManifestNamesWithParallelRunStepDefaults() {
    let defaults = BatchSettings([:])
    #expect(defaults.miniBatchSize == 10 && defaults.processCountPerNode == 1 && defaults.errorThreshold == -1)
    #expect(defaults.outputAction == .appendRow && defaults.runInvocationTimeout == 60 && defaults.retries == 3)
    let set = BatchSettings([
      "mini_batch_size": .int(4), "process_count_per_node": .int(2), "error_threshold": .int(1),
      "output_action": .string("summary_only"), "run_invocation_timeout": .int(5), "retries": .int(0),
      "incremental": .bool(true), "input_path": .string("data"), "output_path": .string("out"),
    ])
    #expect(set.miniBatchSize == 4 && set.processCountPerNode == 2 && set.outputAction == .summaryOnly)
    #expect(set.runInvocationTimeout == 5 && set.retries == 0 && set.incremental)
    #expect(set.inputPath == "data" && set.outputPath == "out")
    #expect(!set.exceedsThreshold(failed: 1) && set.exceedsThreshold(failed: 2))
    #expect(!defaults.exceedsThreshold(failed: 1_000_000), "-1 never fails the run")
  }

  static let header = JournalHeader(revision: "rev1", inputDigest: "abc", miniBatchSize: 2)

  static func entry(_ index: Int, rows: [String], failed: Int = 0) -> JournalEntry {
    JournalEntry(
      index: index, files: ["a\(index)", "b\(index)"], rows: rows, failed: failed,
      errors: failed == 0 ? [] : [ItemFailure(file: "b\(index)", error: "boom")], attempts: 1)
  }

  @Test func replayReturnsFinishedMiniBatchesAndDropsATornLastLine() {
    let text =
      JournalReplay.line(Self.header) + JournalReplay.line(Self.entry(1, rows: ["r1", "r2"]))
      + JournalReplay.line(Self.entry(0, rows: ["r0"], failed: 1))
    let replayed = JournalReplay.replay(text, expected: Self.header)
    #expect(replayed.entries.keys.sorted() == [0, 1])
    #expect(replayed.entries[0]?.failed == 1 && !replayed.tornTail)
    let torn = JournalReplay.replay(text + #"{"index":2,"files":["a2""#, expected: Self.header)
    #expect(torn.entries.keys.sorted() == [0, 1] && torn.tornTail)
  }

  @Test func replayIgnoresAnotherRunsJournalOrAnEditedOne() {
    let text = JournalReplay.line(Self.header) + JournalReplay.line(Self.entry(0, rows: ["r"]))
    var other = Self.header
    other.inputDigest = "def"
    #expect(JournalReplay.replay(text, expected: other).entries.isEmpty)
    let edited = JournalReplay.line(Self.header) + "garbage\n" + JournalReplay.line(Self.entry(0, rows: ["r"]))
    #expect(JournalReplay.replay(edited, expected: Self.header).entries.isEmpty)
    #expect(JournalReplay.replay("", expected: Self.header).entries.isEmpty)
  }

  @Test func outputIsRowsInMiniBatchOrderWhateverOrderTheyFinished() {
    let entries = [
      2: Self.entry(2, rows: ["e", "f"]), 0: Self.entry(0, rows: ["a", "b"]), 1: Self.entry(1, rows: ["c"], failed: 1),
    ]
    #expect(RunOutput.appendRowText(entries) == "a\nb\nc\ne\nf\n")
    let counts = RunOutput.counts(entries)
    #expect(counts.succeeded == 5 && counts.failed == 1)
    #expect(RunOutput.failures(entries) == [ItemFailure(file: "b1", error: "boom")])
  }

  @Test func reusedRowsTakeTheirFilesPlaceInInputOrder() {
    let files = ["a", "b", "c", "d"].map { InputFile(name: $0, sha256: "sha-" + $0) }
    let reused = [files[1]: "row b (earlier run)"]
    let entries = [
      0: JournalEntry(index: 0, files: ["a", "c"], rows: ["row a", "row c"], failed: 0, errors: [], attempts: 1),
      1: JournalEntry(index: 1, files: ["d"], rows: ["row d"], failed: 0, errors: [], attempts: 1),
    ]
    #expect(
      RunOutput.appendRowText(files: files, reused: reused, entries: entries)
        == "row a\nrow b (earlier run)\nrow c\nrow d\n")
  }

  @Test func inputDigestCoversNamesAndBytes() {
    let one = [InputFile(name: "a.csv", sha256: "1"), InputFile(name: "b.csv", sha256: "2")]
    var renamed = one
    renamed[1].name = "c.csv"
    var changed = one
    changed[0].sha256 = "3"
    #expect(InputListing.digest(one) == InputListing.digest(one))
    #expect(InputListing.digest(one) != InputListing.digest(renamed))
    #expect(InputListing.digest(one) != InputListing.digest(changed))
    #expect(InputListing.digest(one) != InputListing.digest(one + [InputFile(name: "d.csv", sha256: "4")]))
  }

  @Test func summaryListsCountsAndFailedItems() {
    let record = RunRecord(
      service: "s", revision: "r", inputDigest: "d", status: .completed, items: 3, miniBatches: 2, succeeded: 2, failed: 1,
      processes: 2, startedAt: Date(timeIntervalSince1970: 0), seconds: 1.5)
    let text = RunSummary.text(record, failures: [ItemFailure(file: "x.csv", error: "ValueError: bad\nsecond line")])
    #expect(text.contains("items: 3\nsucceeded: 2\nfailed: 1\n"))
    #expect(text.hasSuffix("failed items:\n  x.csv: ValueError: bad\n    second line\n"))
  }
}
