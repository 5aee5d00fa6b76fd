import BerthTargetAPI

/// What went wrong talking to IoT Hub or reading the target's settings. Messages name variables, never their values.
public enum IoTEdgeError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The compute target's or service's settings cannot be used (a missing variable, a bad connection string).
  case configuration(String)
  /// The hub could not be reached or did not answer.
  case transport(String)
  /// The hub answered with an error status.
  case hub(code: Int, message: String)

  public var description: String {
    switch self {
    case .configuration(let message): message
    case .transport(let message): message
    case .hub(let code, let message): "IoT Hub answered \(code): \(message)"
    }
  }

  /// Whether trying again could help: transport failures, throttling and server errors.
  public var isRetryable: Bool {
    switch self {
    case .configuration: false
    case .transport: true
    case .hub(let code, _): code == 429 || code >= 500
    }
  }

  var targetError: TargetError { TargetError(description, isRetryable: isRetryable) }
}
