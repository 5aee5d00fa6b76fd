import BerthTargetAPI

/// What went wrong talking to a cluster, with the API server's `Status` when it sent one.
public enum KubernetesError: Error, Hashable, Sendable, CustomStringConvertible {
  /// Connection settings or a kubeconfig Berth cannot use.
  case configuration(String)
  /// A `Status` answer: HTTP code, `reason` (`NotFound`, `Conflict`, `Invalid`…) and message.
  case status(code: Int, reason: String, message: String, request: String)
  /// The server could not be reached or the connection broke.
  case transport(String)
  /// An answer Berth cannot read.
  case malformedResponse(String)

  public var description: String {
    switch self {
    case .configuration(let message): message
    case .status(let code, let reason, let message, let request):
      "\(request): \(code) \(reason.isEmpty ? "" : reason + ": ")\(message)"
    case .transport(let message): "cannot reach the Kubernetes API server: \(message)"
    case .malformedResponse(let message): "unexpected answer from the Kubernetes API server: \(message)"
    }
  }

  /// The HTTP status of a `Status` answer.
  public var code: Int? {
    if case .status(let code, _, _, _) = self { return code }
    return nil
  }

  /// Whether trying again could help: transport trouble, conflicts, throttling and server errors.
  public var isRetryable: Bool {
    switch self {
    case .transport: true
    case .status(let code, _, _, _): code == 409 || code == 429 || code >= 500
    case .configuration, .malformedResponse: false
    }
  }

  /// The provider-neutral error the executor shows.
  public var targetError: TargetError { TargetError(description, isRetryable: isRetryable) }
}
