/// The bounded waits of the local target, injectable so tests can shorten them.
public struct LocalTargetTimings: Sendable, Hashable {
  /// How long the proxy may take to report that it follows a new route.
  public var switchTimeout: Duration
  /// How long old revisions may keep open connections before they are stopped anyway.
  public var drainTimeout: Duration
  /// SIGTERM-to-SIGKILL grace when stopping a revision or a proxy.
  public var stopGrace: Duration
  /// How long a new proxy may take to bind its port and report.
  public var proxyStartTimeout: Duration
  /// How long `delete` waits for the public port to become free.
  public var portReleaseTimeout: Duration
  /// Time limit of each `GET /` during `observe`.
  public var observeProbeTimeout: Duration
  /// Interval of status-file and port polling.
  public var pollInterval: Duration

  /// Creates timings; the defaults suit real services.
  public init(
    switchTimeout: Duration = .seconds(5), drainTimeout: Duration = .seconds(30), stopGrace: Duration = .seconds(15),
    proxyStartTimeout: Duration = .seconds(10), portReleaseTimeout: Duration = .seconds(10),
    observeProbeTimeout: Duration = .seconds(2), pollInterval: Duration = .milliseconds(20)
  ) {
    self.switchTimeout = switchTimeout
    self.drainTimeout = drainTimeout
    self.stopGrace = stopGrace
    self.proxyStartTimeout = proxyStartTimeout
    self.portReleaseTimeout = portReleaseTimeout
    self.observeProbeTimeout = observeProbeTimeout
    self.pollInterval = pollInterval
  }
}
