import BerthProcess
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One worker: a Python process running `WorkerProgram`, spoken to in JSON lines over pipes.
///
/// The worker reads requests on stdin; when Berth dies, stdin closes and the worker exits after its current call.
final class WorkerProcess {
  let pid: pid_t
  private let requests: Int32
  private let replies: Int32
  private var requestsOpen = true
  private var buffer: [UInt8] = []

  /// What a wait for a reply ended with.
  enum Reply {
    case message([String: Any])
    /// The process closed its reply pipe: it died (killed, crashed, exited).
    case died(String)
    case timedOut
  }

  /// Starts `python program` with `environment`, its stderr appended to `logFile`.
  init(python: String, program: String, environment: [String: String], workingDirectory: String, logFile: String) throws {
    // Close-on-exec from birth: a worker started by another thread at the same moment must not inherit this one's
    // pipe ends, or this worker would never see end-of-input when Berth dies.
    guard let (childIn, parentOut) = GNUExtensions.closeOnExecPipe(),
      let (parentIn, childOut) = GNUExtensions.closeOnExecPipe()
    else { throw BatchRunError("cannot create worker pipes") }
    let toChild = [childIn, parentOut]
    let fromChild = [parentIn, childOut]
    let log = open(logFile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    guard log >= 0 else { throw BatchRunError("cannot open the worker log \(logFile)") }
    defer {
      close(log)
      close(toChild[0])
      close(fromChild[1])
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
    posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
    posix_spawn_file_actions_adddup2(&actions, log, 2)
    if let addChdir = GNUExtensions.addChdir { _ = addChdir(&actions, workingDirectory) }
    if let addClosefrom = GNUExtensions.addClosefrom { _ = addClosefrom(&actions, 3) }
    let arguments = [python, "-u", program]
    let environ = environment.map { "\($0.key)=\($0.value)" }
    var argv = arguments.map { strdup($0) } + [nil]
    var envp = environ.map { strdup($0) } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var child: pid_t = 0
    let status = posix_spawn(&child, python, &actions, nil, &argv, &envp)
    guard status == 0 else {
      close(toChild[1])
      close(fromChild[0])
      throw BatchRunError("cannot start the worker \(python): \(String(cString: strerror(status)))")
    }
    pid = child
    requests = toChild[1]
    replies = fromChild[0]
    signal(SIGPIPE, SIG_IGN)
  }

  deinit {
    if requestsOpen { close(requests) }
    close(replies)
  }

  /// Sends one request line; false when the worker is gone.
  func send(_ message: [String: Any]) -> Bool {
    guard var data = try? JSONSerialization.data(withJSONObject: message) else { return false }
    data.append(0x0A)
    return data.withUnsafeBytes { raw in
      var written = 0
      while written < raw.count {
        let result = write(requests, raw.baseAddress! + written, raw.count - written)
        if result < 0 {
          if errno == EINTR { continue }
          return false
        }
        written += result
      }
      return true
    }
  }

  /// Waits up to `timeout` for the next reply line.
  func receive(timeout: Duration) -> Reply {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
      if let newline = buffer.firstIndex(of: 0x0A) {
        let line = Array(buffer[..<newline])
        buffer.removeSubrange(...newline)
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
          return .died("the worker wrote an unreadable reply: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        return .message(object)
      }
      let left = deadline - clock.now
      if left <= .zero { return .timedOut }
      var descriptor = pollfd(fd: replies, events: Int16(POLLIN), revents: 0)
      let milliseconds = Int32(
        min(max(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000, 1), 1000))
      let ready = poll(&descriptor, 1, milliseconds)
      if ready < 0 && errno != EINTR { return .died("poll failed: \(String(cString: strerror(errno)))") }
      if ready <= 0 { continue }
      var chunk = [UInt8](repeating: 0, count: 65536)
      let count = read(replies, &chunk, chunk.count)
      if count < 0 {
        if errno == EINTR { continue }
        return .died("reading from the worker failed: \(String(cString: strerror(errno)))")
      }
      if count == 0 { return .died(exitDescription()) }
      buffer.append(contentsOf: chunk[..<count])
    }
  }

  /// Kills the worker (SIGKILL) and reaps it.
  func kill() {
    sendSignal(pid, SIGKILL)
    var status: Int32 = 0
    _ = waitpid(pid, &status, 0)
  }

  /// Closes its stdin so it exits after its current call, and reaps it.
  func finish() {
    if requestsOpen { close(requests) }
    requestsOpen = false
    var status: Int32 = 0
    _ = waitpid(pid, &status, 0)
  }

  /// "exited with status 3" or "killed by signal 9", after the reply pipe closed.
  private func exitDescription() -> String {
    var status: Int32 = 0
    guard waitpid(pid, &status, 0) == pid else { return "the worker closed its reply pipe" }
    let signal = status & 0x7f
    if signal != 0 { return "worker process \(pid) was killed by signal \(signal)" }
    return "worker process \(pid) exited with status \((status >> 8) & 0xff)"
  }
}

private func sendSignal(_ pid: pid_t, _ signal: Int32) { _ = kill(pid, signal) }
