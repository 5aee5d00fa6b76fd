import BerthModel
import BerthState
import Foundation
import PostgresNIO

/// A `postgres://` state URL, understood: where to connect, as whom, and which schema holds the state.
///
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE&schema=NAME&host=/SOCKET/DIR]`.
/// `sslmode` is libpq's: `disable`; `allow` and `prefer` (the default) use TLS when the server offers
/// it; `require` insists on TLS without checking the certificate; `verify-ca` checks the chain and
/// `verify-full` the host name too. `schema` (Berth's own, default `berth`) lets several states share a
/// database. The password is kept only in `configuration`; `description` hides it.
public struct PostgresStateLocation: Sendable, CustomStringConvertible {
  /// What PostgresNIO connects with.
  public var configuration: PostgresConnection.Configuration
  /// The schema holding Berth's tables.
  public var schema: String
  /// The URL with any password replaced by `****`.
  public var description: String

  /// The schema used when the URL does not name one.
  public static let defaultSchema = "berth"

  /// Parses `url`; throws `StateError.badLocation` with the password hidden.
  public init(url: String) throws {
    let redacted = URLRedaction.redacted(url)
    func bad(_ reason: String) -> StateError { .badLocation("\(redacted) (\(reason))") }

    guard let components = URLComponents(string: url), let scheme = components.scheme,
      scheme == "postgres" || scheme == "postgresql"
    else { throw bad("not a postgres:// URL") }

    var query: [String: String] = [:]
    for item in components.queryItems ?? [] {
      guard let value = item.value else { throw bad("query parameter '\(item.name)' has no value") }
      query[item.name] = value
    }
    let known: Set = ["sslmode", "schema", "host", "application_name", "connect_timeout"]
    if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
      throw bad("unknown query parameter '\(unknown)'; known: \(known.sorted().joined(separator: ", "))")
    }

    guard let user = components.user.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
      throw bad("no user name; write postgres://USER@HOST/DATABASE")
    }
    let password = components.password.flatMap { $0.removingPercentEncoding }
    let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
    guard let database = path.removingPercentEncoding, !database.isEmpty, !database.contains("/") else {
      throw bad("no database name; write postgres://USER@HOST/DATABASE")
    }
    let port = components.port ?? 5432
    guard (1...65535).contains(port) else { throw bad("port \(port) is out of range") }

    let schema = query["schema"] ?? Self.defaultSchema
    guard Self.isPlainIdentifier(schema) else {
      throw bad("schema '\(schema)' must be lower-case letters, digits and underscores, at most 63, not starting with a digit")
    }

    var configuration: PostgresConnection.Configuration
    if let socketDirectory = query["host"] {
      guard socketDirectory.hasPrefix("/") else { throw bad("host= must be a Unix socket directory") }
      configuration = .init(
        unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: user, password: password, database: database)
    } else {
      guard let host = components.host.flatMap({ $0.removingPercentEncoding }), !host.isEmpty else {
        throw bad("no host; write postgres://USER@HOST/DATABASE")
      }
      let sslmode = query["sslmode"] ?? "prefer"
      let tls: PostgresConnection.Configuration.TLS
      do {
        guard let chosen = try Self.tls(sslmode: sslmode) else {
          throw bad("sslmode '\(sslmode)'; expected disable, allow, prefer, require, verify-ca or verify-full")
        }
        tls = chosen
      } catch let error as StateError {
        throw error
      } catch {
        throw bad("cannot set up TLS: \(error)")
      }
      let bracketed = host.hasPrefix("[") && host.hasSuffix("]")
      configuration = .init(
        host: bracketed ? String(host.dropFirst().dropLast()) : host, port: port, username: user, password: password,
        database: database, tls: tls)
    }
    if let timeout = query["connect_timeout"] {
      guard let seconds = Int64(timeout), seconds > 0 else { throw bad("connect_timeout must be whole seconds") }
      configuration.options.connectTimeout = .seconds(seconds)
    }
    configuration.options.additionalStartupParameters = [("application_name", query["application_name"] ?? "berth")]

    self.configuration = configuration
    self.schema = schema
    self.description = redacted
  }

  /// libpq's meaning of `sslmode`; nil for a mode it does not have.
  private static func tls(sslmode: String) throws -> PostgresConnection.Configuration.TLS? {
    var tls = TLSConfiguration.makeClientConfiguration()
    switch sslmode {
    case "disable":
      return .disable
    case "allow", "prefer":
      tls.certificateVerification = .none
      return .prefer(try NIOSSLContext(configuration: tls))
    case "require":
      tls.certificateVerification = .none
      return .require(try NIOSSLContext(configuration: tls))
    case "verify-ca":
      tls.certificateVerification = .noHostnameVerification
      return .require(try NIOSSLContext(configuration: tls))
    case "verify-full":
      return .require(try NIOSSLContext(configuration: tls))
    default:
      return nil
    }
  }

  static func isPlainIdentifier(_ text: String) -> Bool {
    guard let first = text.utf8.first, text.utf8.count <= 63, !(48...57).contains(first) else { return false }
    return text.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "_") }
  }
}
