import BerthModel

/// A service's deployment settings as the IoT Edge target reads them.
public struct IoTEdgeSettings: Hashable, Sendable {
  /// The device whose deployment manifest carries the module.
  public var deviceID: String?
  /// The host port the scoring port is published on; nil: not published (other modules reach it at NAME:5001).
  public var hostPort: Int?
  public var cpuCores: Double?
  public var memoryGB: Double?
  public var workerCount: Int
  public var scoringTimeoutMs: Int
  /// Seconds apply waits for the device to report the module running.
  public var waitTimeoutSeconds: Int
  public var environmentVariables: [String: String]
  /// `$edgeHub` routes by the name the service gives them (`routes.upstream: FROM … INTO $upstream`).
  public var routes: [String: String]

  /// The port `azmlinfsrv` listens on inside the scoring image.
  public static let containerPort = 5001
  public static let defaultWaitTimeoutSeconds = 300
  /// The top-level deployment settings this target reads (TargetSupport lists the same).
  public static let honoured: Set<String> = [
    "device_id", "port", "cpu_cores", "memory_gb", "environment_variables", "routes", "wait_timeout", "worker_count",
    "scoring_timeout_ms",
  ]

  public init(_ settings: [String: FieldValue]) {
    func int(_ key: String) -> Int? {
      switch settings[key] {
      case .int(let value)?: value
      case .double(let value)? where value == value.rounded(): Int(value)
      default: nil
      }
    }
    func double(_ key: String) -> Double? {
      switch settings[key] {
      case .int(let value)?: Double(value)
      case .double(let value)?: value
      default: nil
      }
    }
    func map(_ prefix: String) -> [String: String] {
      var values: [String: String] = [:]
      for (key, value) in settings where key.hasPrefix(prefix) {
        if case .string(let text) = value { values[String(key.dropFirst(prefix.count))] = text }
      }
      return values
    }
    if case .string(let device)? = settings["device_id"], !device.isEmpty { deviceID = device }
    hostPort = int("port")
    cpuCores = double("cpu_cores")
    memoryGB = double("memory_gb")
    workerCount = max(1, int("worker_count") ?? 1)
    scoringTimeoutMs = int("scoring_timeout_ms") ?? 60_000
    waitTimeoutSeconds = int("wait_timeout") ?? Self.defaultWaitTimeoutSeconds
    environmentVariables = map("environment_variables.")
    routes = map("routes.")
  }
}
