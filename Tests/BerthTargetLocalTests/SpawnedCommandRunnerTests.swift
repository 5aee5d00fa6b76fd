import BerthProcess
import Foundation
import Testing

@testable import BerthTargetLocal

@Suite struct SpawnedCommandRunnerTests {
  let runner = SpawnedCommandRunner()

  @Test func streamsMergedOutputLinesAndExitCode() throws {
    final class Lines: @unchecked Sendable { var items: [String] = [] }
    let lines = Lines()
    let result = try runner.run(
      Command("/bin/sh", ["-c", "echo one; echo two >&2; printf 'three'; exit 7"]),
      onLine: { lines.items.append($0) })
    #expect(result.exitCode == 7)
    #expect(!result.succeeded)
    #expect(lines.items == ["one", "two", "three"])
    #expect(result.outputLines == ["one", "two", "three"])
  }

  @Test func honoursWorkingDirectoryEnvironmentAndPathLookup() throws {
    let folder = try Scratch.directory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let result = try runner.run(
      Command(
        "sh", ["-c", "pwd; echo $BERTH_X"], environment: ["PATH": "/usr/bin:/bin", "BERTH_X": "42"],
        workingDirectory: folder))
    #expect(result.succeeded)
    #expect(result.outputLines.last == "42")
    #expect(
      result.outputLines.first.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
        == URL(fileURLWithPath: folder).resolvingSymlinksInPath().path)
  }

  @Test func killsCommandsThatExceedTheirTimeout() throws {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try runner.run(Command("/bin/sleep", ["30"], timeout: .milliseconds(500)))
    #expect(result.timedOut)
    #expect(result.terminationSignal == SIGTERM)
    #expect(clock.now - start < .seconds(5))
  }

  @Test func doesNotHangWhenAGrandchildKeepsThePipeOpen() throws {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try runner.run(Command("/bin/sh", ["-c", "sleep 20 & echo started"]))
    #expect(result.succeeded)
    #expect(result.outputLines == ["started"])
    #expect(clock.now - start < .seconds(5))
  }

  @Test func reportsMissingProgramsAsErrors() {
    #expect(throws: CommandError.self) { try runner.run(Command("/nonexistent/berth-program")) }
    #expect(throws: CommandError.self) { try runner.run(Command("berth-no-such-program-on-path")) }
  }

  @Test func keepsOnlyTheMostRecentLines() throws {
    let result = try SpawnedCommandRunner(retainedLineLimit: 5).run(Command("/bin/sh", ["-c", "seq 1 1000"]))
    #expect(result.outputLines == ["996", "997", "998", "999", "1000"])
    #expect(result.lastLines(2) == ["999", "1000"])
  }
}
