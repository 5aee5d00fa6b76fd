import BerthState
import Foundation
import PostgresNIO

/// The store's connection for reads and writes: opened (and, with write access, the schema migrated) on first use,
/// opened again after it broke, and lent to one operation at a time so that transactions never interleave.
///
/// With read access nothing is created or migrated: a schema Berth never wrote reads as empty state.
actor SharedConnection {
  private let opener: ConnectionOpener
  private let schema: PostgresSchema
  private var connection: PostgresConnection?
  private var busy = false
  private var waiting: [CheckedContinuation<Void, Never>] = []
  private var closed = false
  private let access: StateAccess
  /// Read access only: no Berth schema exists here yet.
  private var absent = false

  init(opener: ConnectionOpener, schema: PostgresSchema, access: StateAccess = .write) {
    self.access = access
    self.opener = opener
    self.schema = schema
  }

  deinit {
    connection?.closeInBackground()
  }

  /// Runs `body` with the connection once every earlier operation finished.
  ///
  /// A connection that a failure left closed is dropped, so the next operation connects again.
  /// Lends the connection to `body`; with read access and no Berth schema yet, answers `empty` instead (when given).
  func withConnection<T: Sendable>(ifAbsent empty: T? = nil, _ body: @Sendable (PostgresConnection) async throws -> T)
    async throws -> T
  {
    await takeTurn()
    defer { passTurn() }
    let connection = try await open()
    if absent, let empty { return empty }
    do {
      return try await body(connection)
    } catch {
      if connection.isClosed { self.connection = nil }
      throw error
    }
  }

  /// Closes the connection; a later operation opens a new one.
  func close() async {
    await takeTurn()
    defer { passTurn() }
    if let connection {
      self.connection = nil
      try? await connection.close()
    }
  }

  private func open() async throws -> PostgresConnection {
    if let connection, !connection.isClosed { return connection }
    connection = nil
    let fresh = try await opener.connect()
    do {
      switch access {
      case .write:
        try await schema.migrate(fresh, logger: opener.logger)
      case .read:
        let version = try await schema.existingVersion(fresh, logger: opener.logger)
        if let version, version > PostgresSchema.supportedVersion {
          throw StateError.newerSchema(found: version, supported: PostgresSchema.supportedVersion)
        }
        absent = version == nil
      }
    } catch {
      try? await fresh.close()
      throw error
    }
    connection = fresh
    return fresh
  }

  /// Waits without regard to cancellation: a cancelled apply must still record what it did.
  private func takeTurn() async {
    guard busy else {
      busy = true
      return
    }
    await withCheckedContinuation { waiting.append($0) }
  }

  private func passTurn() {
    if waiting.isEmpty {
      busy = false
    } else {
      waiting.removeFirst().resume()
    }
  }
}

/// Opens connections to one server with one configuration, on NIO's shared event loop group.
///
/// NIO's singleton event loop threads do not keep a process alive, so `berth` exits as soon as
/// its command returns; an open connection is then closed by the kernel and the server ends its session.
struct ConnectionOpener: Sendable {
  let configuration: PostgresConnection.Configuration
  /// The redacted URL, for errors.
  let location: String
  let logger: Logger

  func connect() async throws -> PostgresConnection {
    do {
      return try await PostgresConnection.connect(
        configuration: configuration, id: Self.nextID(), logger: logger)
    } catch {
      throw PostgresStateError.wrapping(error, location: location, operation: "connect")
    }
  }

  private static let counter = Counter()

  private static func nextID() -> Int { counter.next() }

  /// Connection ids for PostgresNIO's log metadata.
  private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
      lock.lock()
      defer { lock.unlock() }
      value += 1
      return value
    }
  }
}
