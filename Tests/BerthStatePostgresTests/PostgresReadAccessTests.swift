import BerthModel
import BerthState
import BerthTesting
import Foundation
import Testing

@testable import BerthStatePostgres

/// Reading commands never create state: a read-only store on a schema Berth never wrote reads empty and leaves it so.
@Suite(.serialized) struct PostgresReadAccessTests {
  func tableExists(_ schema: String) async throws -> Bool {
    try await PostgresTestServer.psql("SELECT to_regclass('\(schema).meta') IS NOT NULL") == ["t"]
  }

  @Test func readingAnUnwrittenSchemaIsEmptyAndCreatesNothing() async throws {
    let schema = PostgresTestServer.freshSchemaName()
    let url = try await PostgresTestServer.withSchema(schema)
    let reader = try PostgresStateStore(url: url, access: .read)
    defer { Task { await reader.shutdown() } }
    #expect(try await reader.snapshot() == StateSnapshot())
    #expect(try await reader.history(limit: 5).isEmpty)
    #expect(try await reader.currentLock() == nil)
    #expect(try await tableExists(schema) == false, "a read created Berth's tables")
  }

  @Test func readingWrittenStateSeesIt() async throws {
    let schema = PostgresTestServer.freshSchemaName()
    let url = try await PostgresTestServer.withSchema(schema)
    let writer = try PostgresStateStore(url: url, access: .write)
    try await writer.importRecord(StateSample.service("s"))
    await writer.shutdown()
    #expect(try await tableExists(schema))
    let reader = try PostgresStateStore(url: url, access: .read)
    defer { Task { await reader.shutdown() } }
    let snapshot = try await reader.snapshot()
    #expect(snapshot.resources.keys.map(\.description) == ["service/s"])
    #expect(snapshot.serial == 1)
  }
}
