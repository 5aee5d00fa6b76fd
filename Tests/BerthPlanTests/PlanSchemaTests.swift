import BerthTesting
import Foundation
import Testing

/// Every golden plan JSON validates against schemas/plan.schema.json (checked by Python jsonschema).
@Suite struct PlanSchemaTests {
  @Test func goldenPlansMatchTheSchema() throws {
    let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    let files = try FileManager.default.contentsOfDirectory(atPath: snapshots.path).filter { $0.hasSuffix(".json") }.sorted()
    #expect(files.count >= 5)
    let script = """
      import json, sys, jsonschema
      schema = json.load(open(sys.argv[1]))
      bad = 0
      for name in sys.argv[2:]:
          errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(name))))
          for error in errors:
              print(f"{name}: {error.message}")
          bad += bool(errors)
      sys.exit(1 if bad else 0)
      """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      ["python3", "-c", script, RepositoryPaths.root.appendingPathComponent("schemas/plan.schema.json").path]
      + files.map { snapshots.appendingPathComponent($0).path }
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(output)")
  }
}
