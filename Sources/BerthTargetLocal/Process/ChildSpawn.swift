#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts a child process with `posix_spawn`, wiring its standard streams.
///
/// The child gets `/dev/null` as stdin, `stdoutFD` as stdout, stderr merged
/// into stdout, every other inherited descriptor closed, and default signal
/// dispositions with an empty signal mask.
struct ChildSpawn {
  /// Absolute path of the program.
  var executable: String
  /// Arguments, not including the program name.
  var arguments: [String]
  /// The complete child environment.
  var environment: [String: String]
  /// The child's working directory, if it should change.
  var workingDirectory: String?
  /// The descriptor that becomes the child's stdout and stderr.
  var stdoutFD: Int32
  /// Start the child in a new session (and so a new process group) of its own.
  var newSession: Bool = false

  /// Spawns the child and returns its pid, or the `errno` of the failure.
  func spawn() -> Result<pid_t, SpawnFailure> {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, stdoutFD, 1)
    posix_spawn_file_actions_adddup2(&actions, stdoutFD, 2)
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
struct SpawnFailure: Error {
  /// The raw error number.
  var errno: Int32
  /// The system's text for the error number.
  var text: String { String(cString: strerror(errno)) }
}
