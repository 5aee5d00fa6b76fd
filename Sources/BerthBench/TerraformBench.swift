import Foundation

/// The same number of `terraform_data` resources, planned and applied by Terraform, for a side-by-side figure.
struct TerraformBench {
  static let executable = "/usr/local/bin/terraform"
  let resources: Int

  static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: executable) }

  /// Seconds for `terraform apply` from empty state and for a no-op `terraform plan` afterwards.
  func run() throws -> (apply: Double, noopPlan: Double) {
    let directory = NSTemporaryDirectory() + "berth-bench-terraform-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var text = ""
    for index in 0..<resources {
      text += "resource \"terraform_data\" \"r\(index)\" {\n  input = \"model-\(index)\"\n}\n"
    }
    try text.write(toFile: directory + "/main.tf", atomically: true, encoding: .utf8)
    try terraform(["init", "-input=false", "-no-color"], in: directory)
    let apply = try timed {
      try terraform(["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=10"], in: directory)
    }
    let plan = try timed {
      try terraform(["plan", "-input=false", "-no-color", "-detailed-exitcode"], in: directory, allowed: [0])
    }
    return (apply, plan)
  }

  private func timed(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  private func terraform(_ arguments: [String], in directory: String, allowed: Set<Int32> = [0]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Self.executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ProcessInfo.processInfo.environment.merging(["TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"]) { $1 }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard allowed.contains(process.terminationStatus) else {
      throw BenchError("terraform \(arguments.first ?? "") exited \(process.terminationStatus)")
    }
  }
}
