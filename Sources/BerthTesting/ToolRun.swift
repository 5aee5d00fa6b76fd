import Foundation

/// How a program ended and what it printed.
public struct ToolOutput: Sendable {
  public var status: Int32
  public var output: String
  public var errors: String
}

/// Runs a program to its end off the concurrency pool, with standard input from /dev/null.
///
/// Both pipes are read to their end while the program runs (standard error on a thread of its own), so a
/// chatty program never blocks on a full pipe. Foundation's `waitUntilExit` alone can spin forever on a thread
/// without a run loop; the termination handler is what reliably fires.
public func runToEnd(
  _ executable: String, _ arguments: [String], environment: [String: String]? = nil, directory: String? = nil
) async throws -> ToolOutput {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if let environment { process.environment = environment }
  if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
  let output = Pipe()
  let errors = Pipe()
  process.standardOutput = output
  process.standardError = errors
  process.standardInput = FileHandle.nullDevice
  let exited = DispatchSemaphore(value: 0)
  process.terminationHandler = { _ in exited.signal() }
  try process.run()
  return await offThePool {
    let errorData = PipeDrain(errors.fileHandleForReading)
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    exited.wait()
    process.waitUntilExit()
    return ToolOutput(
      status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
      errors: errorData.text())
  }
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
