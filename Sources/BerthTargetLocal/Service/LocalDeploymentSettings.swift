import BerthModel

/// The deployment settings the local target uses, read from a service's `deployment` block.
struct LocalDeploymentSettings: Sendable, Hashable {
  /// `port`: the public port; `nil` keeps the one chosen at first deploy.
  var port: Int?
  /// `worker_count` (default 1).
  var workerCount: Int
  /// `wait_timeout` seconds (default 120).
  var waitTimeout: Duration
  /// `scoring_timeout_ms`, if set.
  var scoringTimeoutMs: Int?

  init(_ settings: [String: FieldValue]) {
    func int(_ key: String) -> Int? {
      switch settings[key] {
      case .int(let value)?: value
      case .double(let value)? where value == value.rounded(): Int(value)
      case .string(let text)?: Int(text)
      default: nil
      }
    }
    port = int("port")
    workerCount = max(1, int("worker_count") ?? 1)
    waitTimeout = .seconds(max(1, int("wait_timeout") ?? 120))
    scoringTimeoutMs = int("scoring_timeout_ms")
  }
}

extension Attributes {
  /// The integer at `key`, if any.
  func int(_ key: String) -> Int? {
    if case .int(let value)? = self[key] { return value }
    return nil
  }

  /// The string at `key`, if any.
  func string(_ key: String) -> String? {
    if case .string(let value)? = self[key] { return value }
    return nil
  }
}
