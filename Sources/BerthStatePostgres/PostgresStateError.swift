import BerthState
import Foundation
import PostgresNIO

/// A failure talking to PostgreSQL, told so that a user can act on it and without the password.
///
/// `PSQLError` describes itself generically on purpose (its details may hold secrets); this keeps
/// the server's own message, SQLSTATE and hint, and the redacted location.
public struct PostgresStateError: Error, CustomStringConvertible, Sendable {
  /// The state URL with its password hidden.
  public var location: String
  /// What Berth was doing: "connect", "snapshot", "record"…
  public var operation: String
  /// The server's message, or what went wrong with the connection.
  public var reason: String
  /// The SQLSTATE code the server sent, if it sent one (`42501`: insufficient privilege).
  public var sqlState: String?
  public var hint: String?

  public var description: String {
    var text = "PostgreSQL state at \(location): \(operation) failed: \(reason)"
    if let sqlState { text += " (SQLSTATE \(sqlState))" }
    if let hint { text += "\n  hint: \(hint)" }
    return text
  }

  init(location: String, operation: String, reason: String, sqlState: String? = nil, hint: String? = nil) {
    self.location = location
    self.operation = operation
    self.reason = reason
    self.sqlState = sqlState
    self.hint = hint
  }

  /// The store held the lock, but its session no longer does: the result of `address` is not written.
  static func lockLost(location: String, address: String) -> PostgresStateError {
    PostgresStateError(
      location: location, operation: "record \(address)",
      reason: "this run no longer holds the state lock (its PostgreSQL session ended, e.g. after a network cut)",
      hint: "what this action did is not recorded; run `berth plan`, which observes what runs, before applying again")
  }

  /// Describes `error` for `operation`; errors that are already readable pass through as they are.
  static func wrapping(_ error: any Error, location: String, operation: String) -> any Error {
    switch error {
    case is PostgresStateError, is StateError, is DecodingError, is CancellationError: return error
    case let error as PSQLError: return PostgresStateError(psql: error, location: location, operation: operation)
    case let error as PostgresDecodingError:
      return PostgresStateError(
        location: location, operation: operation, reason: "unexpected column \(error.columnName) (\(error.code))")
    default:
      return PostgresStateError(location: location, operation: operation, reason: String(describing: error))
    }
  }

  private init(psql error: PSQLError, location: String, operation: String) {
    self.location = location
    self.operation = operation
    if let info = error.serverInfo, let message = info[.message] {
      reason = [message, info[.detail]].compactMap { $0 }.joined(separator: "; ")
      sqlState = info[.sqlState]
      hint = info[.hint] ?? Self.hint(sqlState: sqlState)
      return
    }
    switch error.code {
    case .connectionError:
      reason = "cannot connect: \(error.underlying.map { String(describing: $0) } ?? "connection failed")"
      hint = "is the server running and the host and port right? (`pg_isready -h HOST -p PORT` tells)"
    case .serverClosedConnection:
      reason = "the server closed the connection"
      hint = "the server restarted or ended this session (an admin or `berth state unlock` on another machine)"
    case .sslUnsupported:
      reason = "the server does not offer TLS"
      hint = "add ?sslmode=disable to the URL if plain connections are acceptable here"
    case .authMechanismRequiresPassword:
      reason = "the server asks for a password and the URL has none"
    default:
      reason = "\(error.code)\(error.underlying.map { ": \($0)" } ?? "")"
    }
  }

  private static func hint(sqlState: String?) -> String? {
    switch sqlState {
    case "28P01", "28000": "check the user name and password in the state URL (BERTH_STATE_URL or the Workspace's state)"
    case "3D000": "create the database first (createdb), or name an existing one in the URL"
    case "42501": "the user needs privileges on the state schema (CREATE on the database for the first run)"
    default: nil
    }
  }
}
