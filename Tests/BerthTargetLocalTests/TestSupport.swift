import BerthProcess
import Foundation

@testable import BerthTargetLocal

/// Temporary folders and small files for tests.
enum Scratch {
  /// A new empty folder under the system temp directory.
  static func directory(_ label: String = "berth-test") throws -> String {
    let path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// Writes `text` to `path`, optionally executable.
  static func write(_ text: String, to path: String, executable: Bool = false) throws {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
  }
}

/// A `CommandRunning` that records calls and answers with canned results.
final class RecordingCommandRunner: CommandRunning, @unchecked Sendable {
  private let lock = NSLock()
  private var recorded: [Command] = []
  private let answer: @Sendable (Command) -> CommandResult

  init(answer: @escaping @Sendable (Command) -> CommandResult) { self.answer = answer }

  var commands: [Command] { lock.withLock { recorded } }

  func run(_ command: Command, onLine: (String) -> Void) throws -> CommandResult {
    lock.withLock { recorded.append(command) }
    let result = answer(command)
    result.outputLines.forEach(onLine)
    return result
  }
}
