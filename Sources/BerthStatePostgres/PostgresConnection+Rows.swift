import Foundation
import PostgresNIO

extension PostgresConnection {
  /// Runs `query` and returns its rows; fails, rather than waiting forever, when the connection is
  /// or becomes closed. PostgresNIO never answers a query written to a channel that already closed
  /// (as one whose session `pg_terminate_backend` ended), so every query the store runs goes through here.
  @discardableResult
  func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
    guard !isClosed else { throw ConnectionClosed() }
    return try await withCheckedThrowingContinuation { continuation in
      let resume = ResumeOnce(continuation)
      let token = QueriesInFlight.shared.add(resume, on: self)
      Task {
        do {
          resume(.success(try await self.query(query, logger: logger).collect()))
        } catch {
          resume(.failure(error))
        }
        QueriesInFlight.shared.remove(token, on: self)
      }
    }
  }

  /// Starts closing and keeps this connection alive until it is closed (from a `deinit`, which
  /// cannot wait; PostgresNIO asserts that no connection is released while open).
  func closeInBackground() {
    let closing: EventLoopFuture<Void> = close()
    closing.whenComplete { _ in withExtendedLifetime(self) {} }
  }
}

/// The server or the network closed the connection (the server restarted, or ended the session).
struct ConnectionClosed: Error, CustomStringConvertible {
  var description: String { "the connection to the server closed" }
}

/// The queries waiting on each connection, failed together when it closes.
///
/// One close callback per connection rather than one per query, so that a long-lived connection
/// (`berth watch`) does not collect a callback for every query it ever ran.
private final class QueriesInFlight: @unchecked Sendable {
  static let shared = QueriesInFlight()

  private let lock = NSLock()
  private var waiting: [ObjectIdentifier: [UInt64: ResumeOnce<[PostgresRow]>]] = [:]
  private var nextToken: UInt64 = 0

  func add(_ resume: ResumeOnce<[PostgresRow]>, on connection: PostgresConnection) -> UInt64 {
    let key = ObjectIdentifier(connection)
    lock.lock()
    nextToken += 1
    let token = nextToken
    let isFirst = waiting[key] == nil
    waiting[key, default: [:]][token] = resume
    lock.unlock()
    // Outside the lock: an already closed connection runs the callback at once.
    if isFirst { connection.closeFuture.whenComplete { _ in self.failAll(key) } }
    return token
  }

  func remove(_ token: UInt64, on connection: PostgresConnection) {
    lock.lock()
    defer { lock.unlock() }
    waiting[ObjectIdentifier(connection)]?[token] = nil
  }

  private func failAll(_ key: ObjectIdentifier) {
    lock.lock()
    let failed = waiting.removeValue(forKey: key) ?? [:]
    lock.unlock()
    for resume in failed.values { resume(.failure(ConnectionClosed())) }
  }
}

/// Resumes a continuation with the first result it is given and ignores the rest.
private final class ResumeOnce<T: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var continuation: CheckedContinuation<T, any Error>?

  init(_ continuation: CheckedContinuation<T, any Error>) { self.continuation = continuation }

  func callAsFunction(_ result: Result<T, any Error>) {
    lock.lock()
    let pending = continuation
    continuation = nil
    lock.unlock()
    pending?.resume(with: result)
  }
}
