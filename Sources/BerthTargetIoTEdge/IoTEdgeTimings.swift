/// The bounded waits of the IoT Edge target.
public struct IoTEdgeTimings: Sendable, Hashable {
  /// Between two reads of the `$edgeAgent` twin while waiting for the device.
  public var pollInterval: Duration
  /// Overrides every service's `wait_timeout` when set (tests).
  public var waitTimeout: Duration?

  public init(pollInterval: Duration = .seconds(5), waitTimeout: Duration? = nil) {
    self.pollInterval = pollInterval
    self.waitTimeout = waitTimeout
  }
}
