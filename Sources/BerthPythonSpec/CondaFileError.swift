/// A conda file that cannot be read or does not have the shape of a conda environment file.
public struct CondaFileError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong, with `file:line` where known, phrased so a user can fix it.
  public let message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }
}
