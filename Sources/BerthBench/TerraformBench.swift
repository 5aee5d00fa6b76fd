import Foundation

/// The same number of `terraform_data` resources, planned and applied by Terraform, for a side-by-side figure.
struct TerraformBench {
  static let executable = "/usr/local/bin/terraform"
  let resources: Int
  /// Seconds after which an apply is stopped (Terraform's apply slows as its state grows).
  var limit: Double = .infinity

  static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: executable) }

  /// Seconds for `terraform apply` from empty state and for a no-op `terraform plan` afterwards; an apply stopped at
  /// `limit` gives nil times and how many resources it had created (from `terraform state list`).
  func run() throws -> (apply: Double?, noopPlan: Double?, created: Int) {
    let directory = NSTemporaryDirectory() + "berth-bench-terraform-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var text = ""
    for index in 0..<resources {
      text += "resource \"terraform_data\" \"r\(index)\" {\n  input = \"model-\(index)\"\n}\n"
    }
    try text.write(toFile: directory + "/main.tf", atomically: true, encoding: .utf8)
    try terraform(["init", "-input=false", "-no-color"], in: directory)
    var finished = true
    let apply = try timed {
      finished = try terraform(
        ["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=10"], in: directory, limit: limit)
    }
    guard finished else {
      let listed = try terraformOutput(["state", "list"], in: directory)
      return (nil, nil, listed.split(separator: "\n").count)
    }
    let plan = try timed {
      try terraform(["plan", "-input=false", "-no-color", "-detailed-exitcode"], in: directory, allowed: [0])
    }
    return (apply, plan, resources)
  }

  private func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  /// Runs terraform; false when it was stopped at `limit` (SIGINT, as a user's Ctrl-C, then waited for).
  @discardableResult
  private func terraform(_ arguments: [String], in directory: String, allowed: Set<Int32> = [0], limit: Double = .infinity)
    throws -> Bool
  {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ProcessInfo.processInfo.environment.merging(["TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"]) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(limit.isFinite ? limit : 1e9)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
    if process.isRunning {
      process.interrupt()
      process.waitUntilExit()
      return false
    }
    guard allowed.contains(process.terminationStatus) else {
      throw BenchError("terraform \(arguments.first ?? "") exited \(process.terminationStatus)")
    }
    return true
  }

  private func terraformOutput(_ arguments: [String], in directory: String) throws -> String {
    let process = Process()
    let pipe = Pipe()
    process.executableURL = URL(fileURLWithPath: Self.executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }
}
