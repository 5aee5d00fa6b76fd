/// How an Environment's conda file is resolved into installed packages (Environment `resolution`,
/// `pip_constraints`, `solver`).
public struct EnvironmentResolution: Hashable, Sendable, Codable {
  /// Which versions unpinned packages may take.
  public enum Rule: String, Hashable, Sendable, Codable, CaseIterable {
    /// Unpinned packages (and numpy) resolve no newer than the newest pinned release: the file's era.
    case era
    /// Unpinned packages resolve to the newest versions the index has.
    case latest
  }

  /// Which tool turns the conda file into an environment.
  public enum Solver: String, Hashable, Sendable, Codable, CaseIterable {
    /// The conda file translated to PyPI requirements, installed by uv (the default).
    case uv
    /// micromamba or conda from `PATH`, with the file's own channels.
    case conda
  }

  public var rule: Rule
  /// pip constraint lines (`numpy<2`), applied to every package, listed or transitive.
  public var pipConstraints: [String]
  public var solver: Solver

  public init(rule: Rule = .era, pipConstraints: [String] = [], solver: Solver = .uv) {
    self.rule = rule
    self.pipConstraints = pipConstraints
    self.solver = solver
  }

  /// True for the settings an Environment without these fields gets.
  public var isDefault: Bool { self == EnvironmentResolution() }

  /// One `key:value` line per setting, stable, for digests.
  public var canonicalLines: [String] {
    ["resolution:\(rule.rawValue)", "solver:\(solver.rawValue)"] + pipConstraints.map { "constraint:\($0)" }
  }
}
