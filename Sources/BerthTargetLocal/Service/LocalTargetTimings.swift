/// The bounded waits of the local target, injectable so tests can shorten them.
public struct LocalTargetTimings: Sendable, Hashable {
  /// How long a running gateway may take to report that it serves a new configuration.
  public var switchTimeout: Duration
  /// How long old revisions may keep open connections before they are stopped anyway.
  public var drainTimeout: Duration
  /// SIGTERM-to-SIGKILL grace when stopping a revision or a gateway.
  public var stopGrace: Duration
  /// How long a new gateway may take to bind its port and report.
  public var gatewayStartTimeout: Duration
  /// How long `delete` waits for the public port to become free.
  public var portReleaseTimeout: Duration
  /// Time limit of each `GET /` during `observe`.
  public var observeProbeTimeout: Duration
  /// Interval of listening-file and port polling.
  public var pollInterval: Duration

  /// Creates timings; the defaults suit real services.
  public init(
    switchTimeout: Duration = .seconds(5), drainTimeout: Duration = .seconds(30), stopGrace: Duration = .seconds(15),
    gatewayStartTimeout: Duration = .seconds(10), portReleaseTimeout: Duration = .seconds(10),
    observeProbeTimeout: Duration = .seconds(2), pollInterval: Duration = .milliseconds(20)
  ) {
    self.switchTimeout = switchTimeout
    self.drainTimeout = drainTimeout
    self.stopGrace = stopGrace
    self.gatewayStartTimeout = gatewayStartTimeout
    self.portReleaseTimeout = portReleaseTimeout
    self.observeProbeTimeout = observeProbeTimeout
    self.pollInterval = pollInterval
  }
}
