/// What one service proxy listens on and where it reads its route and writes its status.
public struct ServiceProxyConfiguration: Sendable, Hashable {
  /// The public port.
  public var listenPort: Int
  /// The file naming the backend port (see `RouteFile`).
  public var routeFile: String
  /// The file the proxy reports its `ProxyStatus` in.
  public var statusFile: String
  /// The address to bind: `0.0.0.0` by default, matching `azmlinfsrv`, which always listens on all interfaces.
  public var bindAddress: String
  /// How often the route file is checked and the status refreshed.
  public var statusInterval: Duration
  /// How often the status file is rewritten even when nothing changed, as a sign of life.
  public var heartbeatInterval: Duration
  /// After SIGTERM, how long open connections may take to finish before the proxy exits anyway.
  public var drainTimeout: Duration

  /// Creates a configuration.
  public init(
    listenPort: Int, routeFile: String, statusFile: String, bindAddress: String = "0.0.0.0",
    statusInterval: Duration = .milliseconds(100), heartbeatInterval: Duration = .seconds(1),
    drainTimeout: Duration = .seconds(10)
  ) {
    self.listenPort = listenPort
    self.routeFile = routeFile
    self.statusFile = statusFile
    self.bindAddress = bindAddress
    self.statusInterval = statusInterval
    self.heartbeatInterval = heartbeatInterval
    self.drainTimeout = drainTimeout
  }

  /// The arguments that `berth __proxy` takes for this configuration.
  public var arguments: [String] {
    var arguments = ["--listen", String(listenPort), "--route-file", routeFile, "--status-file", statusFile]
    if bindAddress != "0.0.0.0" { arguments += ["--bind", bindAddress] }
    return arguments
  }

  /// Parses `--listen PORT --route-file PATH --status-file PATH [--bind ADDRESS]`.
  public init(arguments: [String]) throws {
    var values: [String: String] = [:]
    var rest = arguments[...]
    while let flag = rest.popFirst() {
      guard ["--listen", "--route-file", "--status-file", "--bind"].contains(flag), let value = rest.popFirst() else {
        throw ServiceProxyError(
          "unexpected argument '\(flag)'; usage: --listen PORT --route-file PATH --status-file PATH [--bind ADDRESS]")
      }
      values[flag] = value
    }
    guard let portText = values["--listen"], let port = Int(portText), (0...65535).contains(port),
      let routeFile = values["--route-file"], let statusFile = values["--status-file"]
    else {
      throw ServiceProxyError("--listen PORT, --route-file PATH and --status-file PATH are required")
    }
    self.init(listenPort: port, routeFile: routeFile, statusFile: statusFile, bindAddress: values["--bind"] ?? "0.0.0.0")
  }
}

/// Why a service proxy could not start.
public struct ServiceProxyError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What went wrong.
  public var message: String

  /// Creates an error.
  public init(_ message: String) { self.message = message }

  public var description: String { message }
}
