import Foundation

/// A fresh folder under the system's temporary folder for one test.
struct TemporaryDirectory {
  let url: URL

  init() throws {
    url = FileManager.default.temporaryDirectory.appendingPathComponent("berth-state-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  }

  func path(_ relative: String) -> String { url.appendingPathComponent(relative).path }

  func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body` with a fresh temporary folder, removed afterwards.
func withTemporaryDirectory<T>(_ body: (TemporaryDirectory) async throws -> T) async throws -> T {
  let directory = try TemporaryDirectory()
  defer { directory.remove() }
  return try await body(directory)
}

/// Runs blocking work on a thread of its own, keeping Swift concurrency's few threads free.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
  await withCheckedContinuation { continuation in
    Thread.detachNewThread { continuation.resume(returning: work()) }
  }
}

/// A child process started by a test: its output is read line by line; closing its input ends it.
///
/// Every wait happens off the concurrency pool: with two cores, two blocked pool threads would
/// starve the very tasks the child is waiting for.
final class ChildProcess: Sendable {
  nonisolated(unsafe) let process = Process()
  let pid: Int32
  private let input = Pipe()
  private let output = Pipe()
  private let errors = Pipe()
  private let exited = DispatchSemaphore(value: 0)

  init(executable: String, arguments: [String], environment: [String: String]? = nil) throws {
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

  /// Runs a Python script (with its `sqlite3` module) as another OS process.
  convenience init(python script: String, _ arguments: [String]) throws {
    try self.init(executable: "/usr/bin/env", arguments: ["python3", "-c", script] + arguments)
  }

  /// The next line of standard output, or nil at its end.
  func readLine() async -> String? {
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

  /// Reads the next line and fails unless it is `expected` (the child says it is ready).
  func expectLine(_ expected: String) async throws {
    guard let line = await readLine() else {
      await waitForExit()
      throw ChildFailure(message: "ended before saying '\(expected)': \(errorText())")
    }
    guard line == expected else { throw ChildFailure(message: "said '\(line)', expected '\(expected)'") }
  }

  /// Every remaining line of standard output.
  func readLines() async -> [String] {
    var lines: [String] = []
    while let line = await readLine() { lines.append(line) }
    return lines
  }

  /// What the child wrote to standard error; call only once it has exited, since this reads to the end.
  func errorText() -> String {
    String(decoding: (try? errors.fileHandleForReading.readToEnd()) ?? Data(), as: UTF8.self)
  }

  /// Sends `signal` without waiting (for `defer`).
  func signal(_ signal: Int32 = SIGKILL) {
    _ = Foundation.kill(pid, signal)
  }

  /// Sends `signal` and waits until the child is reaped, so that its pid is really gone.
  func kill(_ signal: Int32 = SIGKILL) async {
    self.signal(signal)
    await waitForExit()
  }

  /// Closes the child's input and waits for it to exit; returns its exit status.
  @discardableResult
  func finish() async -> Int32 {
    try? input.fileHandleForWriting.close()
    await waitForExit()
    return process.terminationStatus
  }

  func waitForExit() async {
    let exited = self.exited
    await offThePool {
      exited.wait()
      exited.signal()  // later waits return at once
    }
    // The handler runs before Process records the status; this returns at once after it.
    process.waitUntilExit()
  }
}

/// Runs one SQL statement on a database file through Python's `sqlite3`, returning rows as `a|b` lines.
@discardableResult
func runSQL(_ database: String, _ statement: String) async throws -> [String] {
  let script = """
    import sqlite3, sys
    db = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
    for row in db.execute(sys.argv[2]):
        print("|".join(str(v) for v in row), flush=True)
    """
  let child = try ChildProcess(python: script, [database, statement])
  let lines = await child.readLines()
  guard await child.finish() == 0 else { throw ChildFailure(message: child.errorText()) }
  return lines
}

/// A child process that failed; carries what it wrote to standard error.
struct ChildFailure: Error, CustomStringConvertible {
  var message: String
  var description: String { "child process failed: \(message)" }
}
