/// A state file that exists but cannot be used: what is wrong, which file, and what to do.
public struct StateFileError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Problem: Sendable, Equatable {
    /// Zero bytes: a state is never empty once written, so this is damage, not a new workspace.
    case empty
    case notAFile(String)
    case notADatabase
    /// SQLite could not read it (truncated, corrupt), or the file system refused.
    case unreadable(String)
    /// A database without Berth's tables.
    case notBerthState
    /// Written by an older Berth; a read-only command does not migrate it.
    case needsMigration(found: Int, supported: Int)
  }

  public var path: String
  public var problem: Problem

  public init(path: String, problem: Problem) {
    self.path = path
    self.problem = problem
  }

  public var description: String {
    let repair =
      "restore it from a backup (or from the copy a migration left beside it), or move it away to start from empty "
      + "state (the next plan then creates every resource again; `berth import` adopts services that still run)"
    switch problem {
    case .empty:
      return "state file '\(path)' is empty (0 bytes), but recorded state is never empty\n  hint: \(repair)"
    case .notAFile(let what):
      return
        "state path '\(path)' is \(what), not a state file\n  hint: point the Workspace 'state' at a file, e.g. sqlite:.berth/state.db"
    case .notADatabase:
      return "state file '\(path)' is not an SQLite database\n  hint: \(repair)"
    case .unreadable(let reason):
      return "cannot read state file '\(path)': \(reason)\n  hint: \(repair)"
    case .notBerthState:
      return "'\(path)' is an SQLite database but not Berth state\n  hint: point the Workspace 'state' at Berth's own file"
    case .needsMigration(let found, let supported):
      return
        "state file '\(path)' has schema version \(found); this Berth writes version \(supported)\n  hint: run `berth apply` (or another command that changes state) once to migrate it; a copy of the old file is kept beside it"
    }
  }
}
