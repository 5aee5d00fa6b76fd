/// A ready Python environment containing the scoring server.
public struct BuiltEnvironment: Sendable, Hashable, Codable {
  /// The environment folder, `<cache>/<hash>`.
  public var root: String
  /// `<root>/bin/python`.
  public var pythonPath: String
  /// `<root>/bin/azmlinfsrv`.
  public var serverExecutable: String
  /// The content hash naming the folder.
  public var hash: String
  /// True when an existing build was reused instead of built now.
  public var reused: Bool
  /// Time spent in `build`, including waiting for another builder.
  public var duration: Duration

  /// Creates a value describing the environment at `root`.
  public init(root: String, hash: String, reused: Bool, duration: Duration) {
    self.root = root
    self.pythonPath = root + "/bin/python"
    self.serverExecutable = root + "/bin/azmlinfsrv"
    self.hash = hash
    self.reused = reused
    self.duration = duration
  }

  /// `<root>/bin`, to put first on a child's `PATH`.
  public var binDirectory: String { root + "/bin" }
}
