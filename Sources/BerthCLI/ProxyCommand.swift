import ArgumentParser
import BerthTargetLocal
import Foundation

/// `berth __proxy`: the port proxy of a local service, started detached by the local target; not for users.
///
/// Serves the public port until SIGTERM, forwarding each connection to the
/// backend port named in the route file, then lets open connections finish.
struct ProxyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "__proxy",
    abstract: "Serve a local service's public port (started by the local target).",
    shouldDisplay: false)

  @Option(help: "The public port to listen on.")
  var listen: Int

  @Option(name: .customLong("route-file"), help: "The file naming the backend port.")
  var routeFile: String

  @Option(name: .customLong("status-file"), help: "The file to report open connections in.")
  var statusFile: String

  @Option(help: "The IPv4 address to bind.")
  var bind: String = "0.0.0.0"

  func run() throws {
    let configuration = ServiceProxyConfiguration(
      listenPort: listen, routeFile: routeFile, statusFile: statusFile, bindAddress: bind)
    do {
      try ServiceProxy.runUntilTerminated(configuration)
    } catch {
      FileHandle.standardError.write(Data("berth __proxy: \(error)\n".utf8))
      throw ExitCode.failure
    }
  }
}
