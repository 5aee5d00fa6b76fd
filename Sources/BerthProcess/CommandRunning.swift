/// A program invocation: executable, arguments, environment and limits.
public struct Command: Sendable, Equatable {
  /// Absolute path of the program, or a bare name looked up on `PATH`.
  public var executable: String
  /// Arguments, not including the program name.
  public var arguments: [String]
  /// The complete child environment; `nil` inherits the current one.
  public var environment: [String: String]?
  /// The child's working directory; `nil` keeps the current one.
  public var workingDirectory: String?
  /// Kill the program when it runs longer than this; `nil` waits forever.
  public var timeout: Duration?

  /// Creates a command.
  public init(
    _ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil,
    workingDirectory: String? = nil, timeout: Duration? = nil
  ) {
    self.executable = executable
    self.arguments = arguments
    self.environment = environment
    self.workingDirectory = workingDirectory
    self.timeout = timeout
  }

  /// The command as a shell-like line, for messages.
  public var displayLine: String {
    ([executable] + arguments).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
  }
}

/// How a finished command ended, with its retained output.
public struct CommandResult: Sendable, Equatable {
  /// The exit status, or `128 + signal` when a signal ended the program.
  public var exitCode: Int32
  /// The signal that ended the program, if any.
  public var terminationSignal: Int32?
  /// Whether the program was killed because it exceeded its timeout.
  public var timedOut: Bool
  /// Merged stdout and stderr lines (the most recent ones when output was long).
  public var outputLines: [String]
  /// Wall-clock running time.
  public var duration: Duration

  /// Creates a result.
  public init(
    exitCode: Int32, terminationSignal: Int32? = nil, timedOut: Bool = false, outputLines: [String] = [],
    duration: Duration = .zero
  ) {
    self.exitCode = exitCode
    self.terminationSignal = terminationSignal
    self.timedOut = timedOut
    self.outputLines = outputLines
    self.duration = duration
  }

  /// True when the program exited on its own with status 0.
  public var succeeded: Bool { exitCode == 0 && terminationSignal == nil && !timedOut }

  /// The last `count` output lines.
  public func lastLines(_ count: Int) -> [String] { Array(outputLines.suffix(count)) }
}

/// Runs a program to completion, streaming its merged output line by line.
///
/// Injected wherever the local target calls external tools (python, uv, pip)
/// so tests can substitute canned results.
public protocol CommandRunning: Sendable {
  /// Runs `command`, calling `onLine` for each output line as it arrives.
  ///
  /// Throws only when the program cannot be started; a non-zero exit is
  /// reported in the result.
  func run(_ command: Command, onLine: (String) -> Void) throws -> CommandResult
}

extension CommandRunning {
  /// Runs `command` without observing its output as it arrives.
  public func run(_ command: Command) throws -> CommandResult {
    try run(command, onLine: { _ in })
  }
}
