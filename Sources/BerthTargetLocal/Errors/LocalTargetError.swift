import Foundation

/// An error raised by the local compute target, phrased so a user can act on it.
///
/// `isRetryable` tells the caller whether running the same operation again
/// could succeed without the user changing anything (a network hiccup, a busy
/// port, a lock held by another run). `outputTail` carries the last lines of
/// the tool or server output that explain the failure.
public struct LocalTargetError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
  /// The family of failure, for callers that branch on it.
  public enum Kind: String, Sendable, Codable {
    case invalidCondaFile
    case interpreterNotFound
    case toolInstallFailed
    case environmentBuildFailed
    case lockUnavailable
    case spawnFailed
    case portInUse
    case fileSystem
  }

  /// The family of failure.
  public let kind: Kind
  /// One or more sentences describing what went wrong and what to do.
  public let message: String
  /// Whether repeating the operation unchanged could succeed.
  public let isRetryable: Bool
  /// The last lines of the relevant tool or server output, oldest first.
  public let outputTail: [String]

  /// Creates an error.
  public init(_ kind: Kind, _ message: String, isRetryable: Bool = false, outputTail: [String] = []) {
    self.kind = kind
    self.message = message
    self.isRetryable = isRetryable
    self.outputTail = outputTail
  }

  /// The message followed by the indented output tail, if any.
  public var description: String {
    guard !outputTail.isEmpty else { return message }
    return message + "\n--- last \(outputTail.count) lines of output ---\n"
      + outputTail.map { "  " + $0 }.joined(separator: "\n")
  }

  /// Same as `description`, for `localizedDescription`.
  public var errorDescription: String? { description }
}
