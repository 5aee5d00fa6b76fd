#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The write end of the self-pipe; only the signal handler writes to it.
nonisolated(unsafe) private var terminationPipeWriteFD: Int32 = -1

/// Turns SIGTERM and SIGINT into a readable descriptor, so a poll loop can stop cleanly.
enum TerminationSignal {
  /// Installs the handlers (once per process) and returns the descriptor that becomes readable on a signal.
  ///
  /// Also ignores SIGPIPE: a client that hangs up must not kill the proxy.
  static func install() -> Int32 {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { return -1 }
    for fd in fds {
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
    terminationPipeWriteFD = fds[1]
    signal(SIGPIPE, SIG_IGN)
    // Only async-signal-safe work in the handler: one non-blocking write.
    let handler: @convention(c) (Int32) -> Void = { _ in
      var byte: UInt8 = 1
      _ = write(terminationPipeWriteFD, &byte, 1)
    }
    signal(SIGTERM, handler)
    signal(SIGINT, handler)
    return fds[0]
  }
}
