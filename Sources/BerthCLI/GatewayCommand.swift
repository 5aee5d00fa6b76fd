import ArgumentParser
import BerthGateway
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `berth gateway`: the scoring gateway in front of an endpoint's deployments, and its credentials.
struct GatewayCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gateway",
    abstract: "Run the scoring gateway of an endpoint, or issue its credentials.",
    discussion: "The configuration file format is described in docs/gateway.md.",
    subcommands: [Serve.self, Token.self, Keys.self],
    defaultSubcommand: Serve.self)

  /// Serves until SIGTERM or SIGINT; SIGHUP (or any change of the files) reloads.
  struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "serve", abstract: "Serve the endpoint described by a gateway configuration file.")

    @Option(help: "The gateway configuration (JSON).")
    var config: String

    func run() async throws {
      let loaded: LoadedConfiguration
      do {
        loaded = try LoadedConfiguration.load(path: config)
      } catch {
        for problem in error.problems { FileHandle.standardError.write(Data("error: \(problem)\n".utf8)) }
        throw ExitCode(1)
      }
      let log: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data("berth gateway: \(line)\n".utf8))
      }
      let server = try await UserErrors.report {
        try await GatewayServer.start(loaded, configurationPath: config, log: log)
      }
      log("endpoint '\(loaded.configuration.endpoint)' listening on \(server.boundAddress):\(server.boundPort)")
      let signals = SignalWatch(server: server, log: log)
      await server.waitUntilClosed()
      withExtendedLifetime(signals) {}
    }
  }

  /// Prints a fresh token for an `aml_token` endpoint.
  struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Issue a short-lived token for an aml_token endpoint.")

    @Option(help: "The gateway configuration (JSON).")
    var config: String

    @Option(help: "Seconds until the token expires.")
    var lifetime: Int = 3600

    @Flag(help: "Print the token with its expiry and refresh-after times as JSON.")
    var json = false

    func run() throws {
      guard lifetime > 0 else { throw ValidationError("--lifetime must be a positive number of seconds") }
      let settings = try readConfiguration(config)
      guard let file = settings.tokenSigningKeyFile else {
        throw ValidationError("\(config): token_signing_key_file is not set; the endpoint does not use tokens")
      }
      let key = try SecretFiles.readSigningKey(file)
      let token = AccessToken.issue(endpoint: settings.endpoint, signingKey: key, now: Date(), lifetime: lifetime)
      guard json else {
        print(token.text)
        return
      }
      let formatter = ISO8601DateFormatter()
      let object: [String: String] = [
        "accessToken": token.text, "tokenType": "Bearer",
        "expiryTimeUtc": formatter.string(from: Date(timeIntervalSince1970: TimeInterval(token.claims.expiresAt))),
        "refreshAfterTimeUtc": formatter.string(
          from: Date(timeIntervalSince1970: TimeInterval(token.claims.refreshAfter))),
      ]
      let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
      print(String(decoding: data, as: UTF8.self))
    }
  }

  /// Creates or regenerates the keys file (or the token signing key); prints no secret.
  struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create or regenerate an endpoint's keys; a running gateway picks them up at once.")

    @Option(help: "The gateway configuration (JSON).")
    var config: String

    @Option(name: .customLong("regenerate"), help: "Replace only this key: primary, secondary or signing.")
    var keyType: String?

    func run() throws {
      let settings = try readConfiguration(config)
      if keyType == "signing" {
        guard let file = settings.tokenSigningKeyFile else {
          throw ValidationError("\(config): token_signing_key_file is not set")
        }
        try SecretFiles.writeNewSigningKey(to: file)
        print("wrote a new token signing key to \(file); every token issued before is now invalid")
        return
      }
      guard let file = settings.keysFile else { throw ValidationError("\(config): keys_file is not set") }
      // A missing file is created; an unreadable or open one is an error, never silently replaced.
      var keys = FileManager.default.fileExists(atPath: file) ? try SecretFiles.readKeys(file) : EndpointKeys.generate()
      switch keyType {
      case nil: break
      case "primary": keys.primaryKey = EndpointKeys.generateKey()
      case "secondary": keys.secondaryKey = EndpointKeys.generateKey()
      case let other?: throw ValidationError("--regenerate takes primary, secondary or signing, not '\(other)'")
      }
      try SecretFiles.writeKeys(keys, to: file)
      print("wrote keys to \(file)" + (keyType.map { " (new \($0) key)" } ?? ""))
    }
  }
}

/// Reads a configuration without its secrets, for the credential subcommands.
private func readConfiguration(_ path: String) throws -> GatewayConfiguration {
  guard let data = FileManager.default.contents(atPath: path) else {
    throw ValidationError("\(path): cannot be read")
  }
  do {
    return try JSONDecoder().decode(GatewayConfiguration.self, from: data)
  } catch {
    throw ValidationError("\(path): \(LoadedConfiguration.describe(error))")
  }
}

/// SIGHUP reloads; SIGTERM and SIGINT stop the server (open requests finish first).
private final class SignalWatch {
  private let sources: [any DispatchSourceSignal]

  init(server: GatewayServer, log: @escaping @Sendable (String) -> Void) {
    var sources: [any DispatchSourceSignal] = []
    signal(SIGPIPE, SIG_IGN)
    for number in [SIGHUP, SIGTERM, SIGINT] {
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        if number == SIGHUP {
          server.reloadIfChanged(force: true)
        } else {
          log("stopping")
          Task { await server.stop() }
        }
      }
      source.resume()
      sources.append(source)
    }
    self.sources = sources
  }
}
