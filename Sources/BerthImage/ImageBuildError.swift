/// A build that cannot finish, phrased so a user can act on it; `isRetryable` when trying again could help.
public struct ImageBuildError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public var isRetryable: Bool
  /// The last lines of a tool's output (uv) that explain the failure.
  public var outputTail: [String]

  public init(_ message: String, isRetryable: Bool = false, outputTail: [String] = []) {
    self.message = message
    self.isRetryable = isRetryable
    self.outputTail = outputTail
  }

  public var description: String {
    outputTail.isEmpty ? message : message + "\n" + outputTail.map { "  | " + $0 }.joined(separator: "\n")
  }
}
