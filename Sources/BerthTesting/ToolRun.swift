import BerthProcess
import Foundation

/// How a program ended and what it printed.
public struct ToolOutput: Sendable {
  public var status: Int32
  public var output: String
  public var errors: String
}

/// Runs a program to its end off the concurrency pool, with standard input from /dev/null, through `BerthProcess`
/// (the one way Berth starts programs): both output streams are read while the program runs.
public func runToEnd(
  _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil
) async throws -> ToolOutput {
  let command = Command(executable, arguments, environment: environment, workingDirectory: directory)
  let result = try await DedicatedThread.run("berth-tool-run") { try CapturedRun.run(command) }
  return ToolOutput(status: result.status, output: result.outputText, errors: result.errorText)
}

/// Reads a pipe to its end on a thread of its own, so that a chatty child never blocks on a full pipe.
public final class PipeDrain: @unchecked Sendable {
  private var data = Data()
  private let done = DispatchSemaphore(value: 0)

  public init(_ handle: FileHandle) {
    Thread.detachNewThread { [self] in
      data = handle.readDataToEndOfFile()
      done.signal()
    }
  }

  /// Everything read, once the pipe's writer closed it.
  public func finish() -> Data {
    done.wait()
    return data
  }

  public func text() -> String { String(decoding: finish(), as: UTF8.self) }
}
