import Foundation

/// Reads when a release was first uploaded to the package index (the era rule's input).
public protocol ReleaseDateLooking: Sendable {
  /// The first upload time of `name==version`, or `nil` when the index does not know that release.
  /// Throws when the index cannot be asked.
  func firstUpload(of pin: ResolutionEra.Pin) throws -> Date?
}
