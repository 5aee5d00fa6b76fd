import BerthTesting
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
