import BerthTesting
import Foundation

/// Runs the built `berth` executable as a user would, capturing its output.
struct BerthProcess {
  /// `berth` beside the test bundle (`swift build --build-tests` builds both into the same folder).
  static let executable: URL = {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("berth")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory.deleteLastPathComponent()
    }
    return URL(fileURLWithPath: "/work/main/.build/debug/berth")
  }()

  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
    var output: String { stdout + stderr }
  }

  /// Runs to completion with `arguments` in `directory`.
  @discardableResult
  static func run(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> Result {
    let process = try start(arguments, in: directory, environment: environment)
    let out = process.standardOutput as! Pipe
    let err = process.standardError as! Pipe
    let outData = PipeDrain(out.fileHandleForReading)
    let errData = PipeDrain(err.fileHandleForReading)
    process.waitUntilExit()
    return Result(status: process.terminationStatus, stdout: outData.text(), stderr: errData.text())
  }

  /// Starts without waiting; the caller reads or kills it.
  static func start(_ arguments: [String], in directory: String, environment: [String: String] = [:]) throws -> Process {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    for (key, value) in environment { env[key] = value }
    process.environment = env
    process.standardOutput = Pipe()
    process.standardError = Pipe()
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
  }
}
