/// A git step that failed, with what git said (its last lines), for logs and the status page.
public struct GitError: Error, CustomStringConvertible, Equatable, Sendable {
  public var description: String

  public init(_ description: String) {
    self.description = description
  }
}
