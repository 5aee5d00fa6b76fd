import BerthModel
import BerthState
import BerthTesting
import Foundation
import Testing

@testable import BerthStateSQLite

/// A write that returned is on disk even when the process is killed the next instant.
///
/// The test re-runs this test binary as a child, filtered to this test, with an environment
/// variable that makes it write, print, and SIGKILL itself; the parent then reads the file.
@Suite struct DurabilityTests {
  static let childVariable = "BERTH_STATE_KILLED_CHILD_DB"
  static let writes = 25

  @Test func recordsSurviveKillRightAfterReturn() async throws {
    if let path = ProcessInfo.processInfo.environment[Self.childVariable] {
      try await writeThenDie(path)
    }
    try await withTemporaryDirectory { directory in
      let path = directory.path("state.db")
      var environment = ProcessInfo.processInfo.environment
      environment[Self.childVariable] = path
      let child = try ChildProcess(
        executable: CommandLine.arguments[0],
        arguments: ["--testing-library", "swift-testing", "--filter", "recordsSurviveKillRightAfterReturn"],
        environment: environment)
      let lines = await child.readLines()
      await child.waitForExit()
      #expect(lines.contains("recorded \(Self.writes)"), "child said: \(lines) \(child.errorText())")
      #expect(child.process.terminationReason == .uncaughtSignal)
      #expect(child.process.terminationStatus == SIGKILL)

      let store = try SQLiteStateStore(path: path)
      let snapshot = try await store.snapshot()
      #expect(snapshot.serial == Int64(Self.writes))
      #expect(snapshot.resources.count == Self.writes)
      #expect(try await store.history(limit: 1).first?.actions.count == Self.writes)
    }
  }

  /// Child side: each record is reported only after `record` returned, then the process dies.
  private func writeThenDie(_ path: String) async throws -> Never {
    let store = try SQLiteStateStore(path: path)
    let applyID = try await store.beginApply(operation: "apply", who: "child", planDigest: "d", at: StateSample.time(0))
    for index in 1...Self.writes {
      let record = StateSample.service("s\(index)")
      try await store.record(StateSample.completion(applyID, record.address, change: .put(record)))
    }
    FileHandle.standardOutput.write(Data("recorded \(Self.writes)\n".utf8))  // unbuffered: write(2)
    kill(getpid(), SIGKILL)
    while true { pause() }
  }
}
