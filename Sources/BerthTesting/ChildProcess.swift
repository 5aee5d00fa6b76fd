import Foundation

/// Runs blocking work on a thread of its own, keeping Swift concurrency's few threads free.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
  await withCheckedContinuation { continuation in
    Thread.detachNewThread { continuation.resume(returning: work()) }
  }
}

/// A child process started by a test: its output is read line by line; closing its input ends it.
///
/// Every wait happens off the concurrency pool, so that blocked reads never starve the tasks the
/// child is waiting for on a two-core machine.
///
/// Test support only, and the one place that starts programs outside `BerthProcess`: a conversation with a child
/// (its input held open, its output read a line at a time while it runs) is not something Berth itself does, so
/// `BerthProcess` offers only run-to-the-end (`SpawnedCommandRunner`, `CapturedRun`) and detached children.
public final class ChildProcess: Sendable {
  public nonisolated(unsafe) let process = Process()
  public let pid: Int32
  private let input = Pipe()
  private let output = Pipe()
  private let errors = Pipe()
  private let exited = DispatchSemaphore(value: 0)

  public init(executable: String, arguments: [String], environment: [String: String]? = nil) throws {
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    let exited = self.exited
    process.terminationHandler = { _ in exited.signal() }
    try process.run()
    pid = process.processIdentifier
  }

  /// This test binary again, running only the test `name`, with `environment` added.
  public convenience init(rerunning name: String, environment extra: [String: String]) throws {
    var environment = ProcessInfo.processInfo.environment
    environment.merge(extra) { $1 }
    try self.init(
      executable: CommandLine.arguments[0], arguments: ["--testing-library", "swift-testing", "--filter", name],
      environment: environment)
  }

  /// Runs a Python script as another OS process.
  public convenience init(python script: String, _ arguments: [String]) throws {
    try self.init(executable: "/usr/bin/env", arguments: ["python3", "-c", script] + arguments)
  }

  /// The next line of standard output, or nil at its end.
  public func readLine() async -> String? {
    let handle = output.fileHandleForReading
    return await offThePool {
      var bytes: [UInt8] = []
      while let chunk = try? handle.read(upToCount: 1), let byte = chunk.first {
        if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
        bytes.append(byte)
      }
      return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
  }

  /// The next line that starts with `prefix` (the child's protocol; test output around it is skipped).
  public func line(startingWith prefix: String) async throws -> String {
    while let line = await readLine() {
      if line.hasPrefix(prefix) { return line }
    }
    await waitForExit()
    throw ChildFailure(message: "ended before saying '\(prefix)…': \(errorText())")
  }

  /// Reads the next line and fails unless it is `expected` (the child says it is ready).
  public func expectLine(_ expected: String) async throws {
    guard let line = await readLine() else {
      await waitForExit()
      throw ChildFailure(message: "ended before saying '\(expected)': \(errorText())")
    }
    guard line == expected else { throw ChildFailure(message: "said '\(line)', expected '\(expected)'") }
  }

  /// Every remaining line of standard output.
  public func readLines() async -> [String] {
    var lines: [String] = []
    while let line = await readLine() { lines.append(line) }
    return lines
  }

  /// What the child wrote to standard error; call only once it has exited.
  public func errorText() -> String {
    String(decoding: (try? errors.fileHandleForReading.readToEnd()) ?? Data(), as: UTF8.self)
  }

  /// Sends `signal` without waiting (for `defer`).
  public func signal(_ signal: Int32 = SIGKILL) {
    _ = Foundation.kill(pid, signal)
  }

  /// Sends `signal` and waits until the child is reaped.
  public func kill(_ signal: Int32 = SIGKILL) async {
    self.signal(signal)
    await waitForExit()
  }

  /// Closes the child's input and waits for it to exit; returns its exit status.
  @discardableResult
  public func finish() async -> Int32 {
    try? input.fileHandleForWriting.close()
    await waitForExit()
    return process.terminationStatus
  }

  public func waitForExit() async {
    let exited = self.exited
    await offThePool {
      exited.wait()
      exited.signal()
    }
    process.waitUntilExit()
  }
}

/// A child process that failed; carries what it wrote to standard error.
public struct ChildFailure: Error, CustomStringConvertible {
  public var message: String
  public var description: String { "child process failed: \(message)" }

  public init(message: String) { self.message = message }
}

/// Child side: writes one protocol line straight to standard output (unbuffered).
public func say(_ line: String) {
  FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Child side: blocks until standard input closes (the parent's `finish()`), off the pool.
public func waitForInputToClose() async {
  await offThePool { _ = try? FileHandle.standardInput.readToEnd() }
}
