import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a program ended, with everything it wrote to each stream.
public struct CapturedOutput: Sendable, Equatable {
  /// The exit status, or `128 + signal` when a signal ended the program.
  public var status: Int32
  public var output: Data
  public var errors: Data
  public var timedOut: Bool

  public var outputText: String { String(decoding: output, as: UTF8.self) }
  public var errorText: String { String(decoding: errors, as: UTF8.self) }
}

/// Runs a program to its end with standard output and standard error kept apart, and optional input: for callers
/// that read what a program prints (tests driving `berth`, benchmarks). Same spawning as `SpawnedCommandRunner`.
public enum CapturedRun {
  /// Runs `command` and waits for it; blocks the calling thread. Throws only when it cannot be started.
  public static func run(_ command: Command, input: Data? = nil) throws -> CapturedOutput {
    let environment = command.environment ?? ProcessInfo.processInfo.environment
    guard let executable = ExecutableSearch.resolve(command.executable, searchPath: environment["PATH"]) else {
      throw CommandError("Cannot run '\(command.executable)': no such executable file.")
    }
    var pipes: [(Int32, Int32)] = []
    defer { for (a, b) in pipes { close(a); close(b) } }
    for _ in 0..<(input == nil ? 2 : 3) {
      guard let pipe = GNUExtensions.closeOnExecPipe() else {
        throw CommandError("Cannot create a pipe: \(String(cString: strerror(errno))).", isRetryable: true)
      }
      pipes.append(pipe)
    }
    let spawn = ChildSpawn(
      executable: executable, arguments: command.arguments, environment: environment,
      workingDirectory: command.workingDirectory, stdoutFD: pipes[0].1, stderrFD: pipes[1].1,
      stdinFD: input == nil ? nil : pipes[2].0)
    let pid: pid_t
    switch spawn.spawn() {
    case .success(let spawned): pid = spawned
    case .failure(let failure):
      throw CommandError("Cannot run '\(command.displayLine)': \(failure.text).", isRetryable: failure.errno == EAGAIN)
    }
    // The child holds its own copies now; closing ours lets end-of-file arrive when it exits.
    close(pipes[0].1)
    close(pipes[1].1)
    pipes[0].1 = -1
    pipes[1].1 = -1
    var inputFD: Int32 = -1
    if input != nil {
      close(pipes[2].0)
      pipes[2].0 = -1
      inputFD = pipes[2].1
      _ = fcntl(inputFD, F_SETFL, fcntl(inputFD, F_GETFL) | O_NONBLOCK)
      signal(SIGPIPE, SIG_IGN)  // a child that exits without reading must not kill this process
      if input?.isEmpty == true {
        close(inputFD)
        pipes[2].1 = -1
        inputFD = -1
      }
    }
    let clock = ContinuousClock()
    let deadline = command.timeout.map { clock.now + $0 }
    var streams = [Data(), Data()]
    var open = [true, true]
    let pending = input ?? Data()
    var written = 0
    var timedOut = false
    var buffer = [UInt8](repeating: 0, count: 65536)
    while open[0] || open[1] {
      var polls = [
        pollfd(fd: pipes[0].0, events: Int16(POLLIN), revents: 0), pollfd(fd: pipes[1].0, events: Int16(POLLIN), revents: 0),
      ]
      for index in 0..<2 where !open[index] { polls[index].fd = -1 }
      if inputFD >= 0 { polls.append(pollfd(fd: inputFD, events: Int16(POLLOUT), revents: 0)) }
      let ready = poll(&polls, nfds_t(polls.count), 250)
      if let deadline, clock.now > deadline {
        timedOut = true
        kill(pid, SIGKILL)
        break
      }
      guard ready > 0 else { continue }
      for index in 0..<2 where open[index] && polls[index].revents != 0 {
        let count = buffer.withUnsafeMutableBytes { read(pipes[index].0, $0.baseAddress, $0.count) }
        if count > 0 {
          streams[index].append(contentsOf: buffer[0..<count])
        } else if count == 0 || errno != EINTR {
          open[index] = false
        }
      }
      if inputFD >= 0, polls.count == 3, polls[2].revents != 0 {
        let count = pending.withUnsafeBytes { bytes in write(inputFD, bytes.baseAddress! + written, bytes.count - written) }
        if count > 0 { written += count }
        if written == pending.count || (count < 0 && errno != EAGAIN && errno != EINTR) {
          close(inputFD)
          pipes[2].1 = -1
          inputFD = -1
        }
      }
    }
    if inputFD >= 0 {
      close(inputFD)
      pipes[2].1 = -1
    }
    var status: Int32 = 0
    _ = SpawnedCommandRunner.reap(pid, &status, blocking: true)
    let signalled = SpawnedCommandRunner.wasSignaled(status)
    return CapturedOutput(
      status: signalled ? 128 + (status & 0x7f) : (status >> 8) & 0xff, output: streams[0], errors: streams[1],
      timedOut: timedOut)
  }
}
