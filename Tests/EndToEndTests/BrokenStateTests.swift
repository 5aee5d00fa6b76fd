import BerthTesting
import Foundation
import Testing

/// Read-only commands never create or rewrite state, and a damaged state file is one `error:` line naming it.
@Suite struct BrokenStateTests {
  static func example() throws -> String {
    let folder = NSTemporaryDirectory() + "berth-broken-state-\(UUID().uuidString)"
    try FileManager.default.copyItem(atPath: RepositoryPaths.examples.appendingPathComponent("diabetes").path, toPath: folder)
    try? FileManager.default.removeItem(atPath: folder + "/.berth")
    return folder
  }

  @Test func stateListOnAMissingFolderFailsAndCreatesNothing() throws {
    let parent = NSTemporaryDirectory() + "berth-missing-\(UUID().uuidString)"
    let result = try BerthProcess.run(["state", "list", "--dir", parent + "/nowhere"], in: NSTemporaryDirectory())
    #expect(result.status == 1)
    #expect(result.stderr == "error: manifest folder '\(parent)/nowhere' does not exist\n")
    #expect(!FileManager.default.fileExists(atPath: parent))
  }

  @Test func readingCommandsOnANewWorkspaceLeaveNoState() throws {
    let folder = try Self.example()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    for arguments in [
      ["state", "list"], ["state", "lock"], ["state", "history"], ["models", "list"], ["plan", "--no-refresh"],
    ] {
      let result = try BerthProcess.run(arguments + ["--dir", folder], in: folder)
      #expect(result.status == 0, "\(arguments): \(result.stderr)")
      #expect(!FileManager.default.fileExists(atPath: folder + "/.berth/state.db"), "\(arguments) created the state")
    }
  }

  @Test func anEmptyStateFileIsAnErrorNotAFreshStart() throws {
    let folder = try Self.example()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try FileManager.default.createDirectory(atPath: folder + "/.berth", withIntermediateDirectories: true)
    #expect(FileManager.default.createFile(atPath: folder + "/.berth/state.db", contents: Data()))
    for arguments in [["plan", "--no-refresh"], ["state", "list"], ["drift"]] {
      let result = try BerthProcess.run(arguments + ["--dir", folder], in: folder)
      #expect(result.status == 1, "\(arguments)")
      #expect(
        result.stderr.hasPrefix("error: state file '\(folder)/.berth/state.db' is empty (0 bytes)"),
        "\(arguments): \(result.output)")
      #expect(result.stdout.isEmpty, "\(arguments) printed a plan: \(result.stdout)")
    }
    let size = try FileManager.default.attributesOfItem(atPath: folder + "/.berth/state.db")[.size] as? Int
    #expect(size == 0)
  }

  @Test func aStateFileThatIsNotSQLiteIsNamed() throws {
    let folder = try Self.example()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try FileManager.default.createDirectory(atPath: folder + "/.berth", withIntermediateDirectories: true)
    try "garbage\n".write(toFile: folder + "/.berth/state.db", atomically: true, encoding: .utf8)
    let result = try BerthProcess.run(["state", "list", "--dir", folder], in: folder)
    #expect(result.status == 1)
    #expect(result.stderr.hasPrefix("error: state file '\(folder)/.berth/state.db' is not an SQLite database\n  hint: "))
    #expect(!result.output.contains("SQLite error"))
  }
}
