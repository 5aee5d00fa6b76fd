import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs commands as real child processes with `posix_spawn`.
///
/// Output of stdout and stderr is merged into one pipe, split into lines and
/// streamed to the caller; the most recent `retainedLineLimit` lines are kept
/// in the result. A command that outlives its timeout receives SIGTERM, then
/// SIGKILL three seconds later.
public struct SpawnedCommandRunner: CommandRunning {
  /// How many of the most recent output lines a result keeps.
  public var retainedLineLimit: Int

  /// Creates a runner.
  public init(retainedLineLimit: Int = 400) {
    self.retainedLineLimit = retainedLineLimit
  }

  /// Runs `command` to completion. Blocks the calling thread.
  public func run(_ command: Command, onLine: (String) -> Void) throws -> CommandResult {
    let environment = command.environment ?? ProcessInfo.processInfo.environment
    guard let executable = ExecutableSearch.resolve(command.executable, searchPath: environment["PATH"]) else {
      throw CommandError("Cannot run '\(command.executable)': no such executable file.")
    }
    guard let (readFD, writeFD) = GNUExtensions.closeOnExecPipe() else {
      throw CommandError("Cannot create a pipe: \(String(cString: strerror(errno))).", isRetryable: true)
    }
    let clock = ContinuousClock()
    let start = clock.now
    let spawn = ChildSpawn(
      executable: executable, arguments: command.arguments, environment: environment,
      workingDirectory: command.workingDirectory, stdoutFD: writeFD)
    let pid: pid_t
    switch spawn.spawn() {
    case .success(let spawned): pid = spawned
    case .failure(let failure):
      close(readFD)
      close(writeFD)
      throw CommandError("Cannot run '\(command.displayLine)': \(failure.text).", isRetryable: failure.errno == EAGAIN)
    }
    close(writeFD)
    defer { close(readFD) }

    var retained: [String] = []
    retained.reserveCapacity(min(retainedLineLimit, 1024))
    func keep(_ line: String) {
      onLine(line)
      retained.append(line)
      if retained.count > retainedLineLimit * 2 { retained.removeFirst(retained.count - retainedLineLimit) }
    }
    let deadline = command.timeout.map { start + $0 }
    var assembler = LineAssembler()
    var buffer = [UInt8](repeating: 0, count: 65536)
    var status: Int32 = 0
    var reaped = false
    var timedOut = false
    var streamOpen = true

    while streamOpen {
      var poller = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
      let ready = poll(&poller, 1, 250)
      if ready > 0 {
        let count = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
        if count > 0 {
          buffer.withUnsafeBytes { bytes in
            for line in assembler.append(UnsafeRawBufferPointer(rebasing: bytes[0..<count])) { keep(line) }
          }
        } else if count == 0 || errno != EINTR {
          streamOpen = false
        }
      } else if !reaped, Self.reap(pid, &status, blocking: false) {
        // The child is gone but a grandchild may hold the pipe open: drain what is there and stop.
        reaped = true
        _ = fcntl(readFD, F_SETFL, fcntl(readFD, F_GETFL) | O_NONBLOCK)
      } else if reaped {
        streamOpen = false
      }
      if let deadline, !reaped, clock.now > deadline {
        timedOut = true
        status = Self.terminate(pid)
        reaped = true
        streamOpen = false
      }
    }
    if let rest = assembler.finish() { keep(rest) }
    if !reaped { _ = Self.reap(pid, &status, blocking: true) }

    let signal: Int32? = Self.wasSignaled(status) ? status & 0x7f : nil
    let exitCode: Int32 = signal.map { 128 + $0 } ?? ((status >> 8) & 0xff)
    return CommandResult(
      exitCode: exitCode, terminationSignal: signal, timedOut: timedOut,
      outputLines: Array(retained.suffix(retainedLineLimit)), duration: clock.now - start)
  }

  /// Sends SIGTERM, waits up to three seconds, then SIGKILL; returns the reaped status.
  private static func terminate(_ pid: pid_t) -> Int32 {
    kill(pid, SIGTERM)
    var status: Int32 = 0
    for _ in 0..<30 {
      if reap(pid, &status, blocking: false) { return status }
      usleep(100_000)
    }
    kill(pid, SIGKILL)
    _ = reap(pid, &status, blocking: true)
    return status
  }

  /// Calls `waitpid`, retrying on EINTR; true when the child was reaped (or is not ours).
  package static func reap(_ pid: pid_t, _ status: inout Int32, blocking: Bool) -> Bool {
    while true {
      let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
      if result == pid { return true }
      if result == 0 { return false }
      if errno == EINTR { continue }
      return true
    }
  }

  /// True when a `waitpid` status says a signal ended the process.
  package static func wasSignaled(_ status: Int32) -> Bool {
    let low = status & 0x7f
    return low != 0 && low != 0x7f
  }
}
