import BerthModel
import BerthState
import Foundation
import Testing

@testable import BerthStatePostgres

/// State URLs are understood without a server, and the password never shows.
@Suite struct PostgresStateLocationTests {
  @Test func fullURL() throws {
    let location = try PostgresStateLocation(url: "postgres://ana:pa%40ss@db.internal:5433/berth_state?sslmode=disable")
    #expect(location.configuration.host == "db.internal")
    #expect(location.configuration.port == 5433)
    #expect(location.configuration.username == "ana")
    #expect(location.configuration.password == "pa@ss")
    #expect(location.configuration.database == "berth_state")
    #expect(!location.configuration.tls.isAllowed)
    #expect(location.schema == "berth")
    #expect(location.description == "postgres://ana:****@db.internal:5433/berth_state?sslmode=disable")
    #expect(location.configuration.options.additionalStartupParameters.first?.1 == "berth")
  }

  @Test func defaultsFollowLibpq() throws {
    let location = try PostgresStateLocation(url: "postgresql://ci@127.0.0.1/state")
    #expect(location.configuration.port == 5432)
    #expect(location.configuration.password == nil)
    #expect(location.configuration.tls.isAllowed && !location.configuration.tls.isEnforced)  // sslmode=prefer
    #expect(location.description == "postgresql://ci@127.0.0.1/state")
  }

  @Test(arguments: ["require", "verify-ca", "verify-full"])
  func strictSSLModesRequireTLS(_ mode: String) throws {
    let location = try PostgresStateLocation(url: "postgres://ci@db/state?sslmode=\(mode)")
    #expect(location.configuration.tls.isEnforced)
  }

  @Test func schemaAndSocketAndTimeout() throws {
    let location = try PostgresStateLocation(
      url: "postgres://ci@/state?host=/var/run/postgresql&schema=staging&connect_timeout=3&application_name=ci-7")
    #expect(location.schema == "staging")
    #expect(location.configuration.unixSocketPath == "/var/run/postgresql/.s.PGSQL.5432")
    #expect(location.configuration.options.connectTimeout == .seconds(3))
    #expect(location.configuration.options.additionalStartupParameters.first?.1 == "ci-7")
  }

  @Test(arguments: [
    ("mysql://u:topsecret@h/db", "not a postgres:// URL"),
    ("postgres://h/db", "no user name"),
    ("postgres://u:topsecret@h", "no database name"),
    ("postgres://u:topsecret@h/db?sslmode=maybe", "sslmode 'maybe'"),
    ("postgres://u:topsecret@h/db?sslmod=disable", "unknown query parameter 'sslmod'"),
    ("postgres://u:topsecret@h/db?schema=Prod-1", "schema 'Prod-1'"),
    ("postgres://u:topsecret@h/db?host=relative", "Unix socket directory"),
    ("postgres://u:topsecret@h/db?connect_timeout=soon", "connect_timeout"),
  ])
  func badURLsSayWhyWithoutThePassword(_ url: String, _ reason: String) {
    let error = #expect(throws: StateError.self) { try PostgresStateLocation(url: url) }
    guard case .badLocation(let text) = error else { return }
    #expect(text.contains(reason), "\(text)")
    #expect(!text.contains("topsecret"), "\(text)")
    #expect(error?.description.contains("postgres://") == true)
  }

  @Test func passwordsAreRedacted() {
    #expect(URLRedaction.redacted("postgres://u:p@h/db") == "postgres://u:****@h/db")
    #expect(URLRedaction.redacted("postgres://u@h/db") == "postgres://u@h/db")
  }

  @Test func lockKeysAreStableAndPerSchema() {
    #expect(PostgresSchema(name: "berth").lockKey == PostgresSchema(name: "berth").lockKey)
    #expect(PostgresSchema(name: "berth").lockKey != PostgresSchema(name: "staging").lockKey)
    #expect(PostgresSchema(name: "berth").lockKey != PostgresSchema(name: "berth").migrationKey)
    #expect(PostgresSchema.key("") == Int64(bitPattern: 0xcbf2_9ce4_8422_2325))
  }

  @Test func storeDoesNotConnectUntilUsed() throws {
    // Nothing listens on port 1; opening must still succeed, as `berth validate` opens state without reading it.
    let store = try PostgresStateStore(url: "postgres://u:p@127.0.0.1:1/db?sslmode=disable")
    #expect(store.location.description == "postgres://u:****@127.0.0.1:1/db?sslmode=disable")
  }
}
