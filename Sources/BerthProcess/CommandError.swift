import Foundation

/// A program that could not be started at all (a non-zero exit is a `CommandResult`, not an error).
public struct CommandError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
  /// What went wrong, phrased for a user.
  public var message: String
  /// Whether starting the same program again could succeed (no free pipe, the process table full).
  public var isRetryable: Bool

  public init(_ message: String, isRetryable: Bool = false) {
    self.message = message
    self.isRetryable = isRetryable
  }

  public var description: String { message }
  public var errorDescription: String? { message }
}
