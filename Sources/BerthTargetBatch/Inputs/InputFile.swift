/// One file under a batch service's `input_path`: its name relative to that folder and its content digest.
public struct InputFile: Hashable, Sendable, Codable {
  /// The path relative to `input_path`, `/`-separated.
  public var name: String
  /// The sha256 of the file's bytes, hex.
  public var sha256: String

  public init(name: String, sha256: String) {
    self.name = name
    self.sha256 = sha256
  }
}
