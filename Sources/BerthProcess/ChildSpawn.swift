#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts a child process with `posix_spawn`, wiring its standard streams.
///
/// The child gets `/dev/null` as stdin (or `stdinFD`), `stdoutFD` as stdout, stderr merged
/// into stdout (or `stderrFD`), every other inherited descriptor closed, and default signal
/// dispositions with an empty signal mask.
package struct ChildSpawn {
  /// Absolute path of the program.
  package var executable: String
  /// Arguments, not including the program name.
  package var arguments: [String]
  /// The complete child environment.
  package var environment: [String: String]
  /// The child's working directory, if it should change.
  package var workingDirectory: String?
  /// The descriptor that becomes the child's stdout, and its stderr unless `stderrFD` is given.
  package var stdoutFD: Int32
  /// A separate descriptor for the child's stderr.
  package var stderrFD: Int32? = nil
  /// The descriptor that becomes the child's stdin; `/dev/null` when nil.
  package var stdinFD: Int32? = nil
  /// Start the child in a new session (and so a new process group) of its own.
  package var newSession: Bool = false

  package init(
    executable: String, arguments: [String], environment: [String: String], workingDirectory: String?, stdoutFD: Int32,
    newSession: Bool = false, stderrFD: Int32? = nil, stdinFD: Int32? = nil
  ) {
    self.stderrFD = stderrFD
    self.stdinFD = stdinFD
    self.executable = executable
    self.arguments = arguments
    self.environment = environment
    self.workingDirectory = workingDirectory
    self.stdoutFD = stdoutFD
    self.newSession = newSession
  }

  /// Spawns the child and returns its pid, or the `errno` of the failure.
  package func spawn() -> Result<pid_t, SpawnFailure> {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let stdinFD {
      posix_spawn_file_actions_adddup2(&actions, stdinFD, 0)
    } else {
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    }
    posix_spawn_file_actions_adddup2(&actions, stdoutFD, 1)
    posix_spawn_file_actions_adddup2(&actions, stderrFD ?? stdoutFD, 2)
    if let workingDirectory {
      guard let addChdir = GNUExtensions.addChdir else { return .failure(SpawnFailure(errno: ENOSYS)) }
      _ = addChdir(&actions, workingDirectory)
    }
    if let addClosefrom = GNUExtensions.addClosefrom {
      _ = addClosefrom(&actions, 3)
    }

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    posix_spawnattr_setsigmask(&attributes, &emptyMask)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD, SIGALRM] {
      sigaddset(&defaults, signal)
    }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
    if newSession { flags |= GNUExtensions.spawnSetSID }
    posix_spawnattr_setflags(&attributes, Int16(flags))

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard status == 0 else { return .failure(SpawnFailure(errno: status)) }
    return .success(pid)
  }
}

/// The `errno` reported by a failed `posix_spawn`.
package struct SpawnFailure: Error {
  /// The raw error number.
  package var errno: Int32
  /// The system's text for the error number.
  package var text: String { String(cString: strerror(errno)) }
}
