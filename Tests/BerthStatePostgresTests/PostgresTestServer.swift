import BerthStatePostgres
import BerthTesting
import Foundation
import Testing

/// One throwaway PostgreSQL server per test process, started on first use by
/// `scripts/postgres-test-server` and stopped when the process exits.
///
/// `BERTH_TEST_POSTGRES_URL` names a running server to use instead (its user must be allowed to
/// create schemas). Every store gets a schema of its own, so tests running at once never share
/// tables or the lock (the lock key is per schema).
enum PostgresTestServer {
  static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let script = repositoryRoot.appendingPathComponent("scripts/postgres-test-server").path
  static let externalURL = ProcessInfo.processInfo.environment["BERTH_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

  /// The folder with `initdb` and `pg_ctl`, found as the script finds it.
  static let binaryFolder: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    var candidates = path.split(separator: ":").map(String.init)
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
    candidates += versions.sorted { $0.compare($1, options: .numeric) == .orderedDescending }
      .map { "/usr/lib/postgresql/\($0)/bin" }
    return candidates.first { folder in
      ["initdb", "pg_ctl"].allSatisfy { FileManager.default.isExecutableFile(atPath: "\(folder)/\($0)") }
    }
  }()

  /// Tests skip only when there is no server to start and none named.
  static var isAvailable: Bool { externalURL != nil || binaryFolder != nil }

  static let unavailable: Comment =
    "no PostgreSQL server binaries (initdb, pg_ctl) on this machine and no BERTH_TEST_POSTGRES_URL; scripts/bootstrap installs them (Debian package postgresql)"

  /// The server's URL (database `postgres`, user `berth`), starting the server on first use.
  static func url() async throws -> String {
    if let externalURL { return externalURL }
    return try await started.value
  }

  /// A URL of a new, empty state: the server's URL with a schema nobody used.
  static func freshStateURL() async throws -> String {
    try await withSchema(freshSchemaName())
  }

  static func withSchema(_ schema: String) async throws -> String {
    let base = try await url()
    return base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
  }

  static func freshSchemaName() -> String {
    "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
  }

  /// Runs one SQL statement with `psql`, an independent client; returns rows as `a|b` lines.
  @discardableResult
  static func psql(_ statement: String) async throws -> [String] {
    let client =
      binaryFolder.map { "\($0)/psql" }.flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil }
      ?? "/usr/bin/psql"
    let result = try await run(client, [try await url(), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", statement])
    guard result.status == 0 else { throw ToolFailure(message: "psql: \(result.errors)") }
    return result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
  }

  private static let folder = "/tmp/berth-pg-test-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())"

  private static let started = Task<String, any Error> {
    var environment = ProcessInfo.processInfo.environment
    environment["BERTH_PG_OWNER_PID"] = String(getpid())  // the script's watcher stops it if we are killed
    let result = try await run(script, ["start", folder], environment: environment)
    guard result.status == 0, let url = result.output.split(separator: "\n").last.map(String.init) else {
      throw ToolFailure(message: "scripts/postgres-test-server start failed: \(result.errors)")
    }
    stopFolder = folder
    atexit {
      guard let folder = stopFolder else { return }
      let stop = Process()
      stop.executableURL = URL(fileURLWithPath: PostgresTestServer.script)
      stop.arguments = ["stop", folder]
      try? stop.run()
      stop.waitUntilExit()
    }
    return url
  }

  nonisolated(unsafe) private static var stopFolder: String?

  /// Runs a program to its end off the concurrency pool; returns its status, output and errors.
  static func run(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil
  ) async throws -> (status: Int32, output: String, errors: String) {
    let result = try await runToEnd(executable, arguments, environment: environment)
    return (result.status, result.output, result.errors)
  }
}

/// A helper program that failed; carries what it said.
struct ToolFailure: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}

/// Opens stores on fresh schemas for one test and shuts them all down when it ends.
actor StoreScope {
  private var stores: [PostgresStateStore] = []

  /// A store on a schema of its own (or on `url`).
  func store(url: String? = nil) async throws -> PostgresStateStore {
    let resolved: String
    if let url { resolved = url } else { resolved = try await PostgresTestServer.freshStateURL() }
    let store = try PostgresStateStore(url: resolved)
    stores.append(store)
    return store
  }

  func shutdown() async {
    for store in stores { await store.shutdown() }
    stores = []
  }
}

/// Runs `body` with a `StoreScope`, shutting its stores down afterwards whatever happened.
func withStores<T>(_ body: (StoreScope) async throws -> T) async throws -> T {
  let scope = StoreScope()
  do {
    let value = try await body(scope)
    await scope.shutdown()
    return value
  } catch {
    await scope.shutdown()
    throw error
  }
}
