/// What a command may do to recorded state when it opens it.
///
/// Read-only commands (plan, drift, state list, …) never create, migrate or repair the state: a missing state reads as
/// empty and leaves nothing behind; a state that exists but cannot be read is an error that names the file.
public enum StateAccess: Sendable, Hashable {
  case read
  case write
}
