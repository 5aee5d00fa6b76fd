import BerthTesting
import Foundation
import Testing

/// Every golden plan JSON validates against schemas/plan.schema.json (checked by Python jsonschema).
@Suite struct PlanSchemaTests {
  @Test func goldenPlansAndDriftReportsMatchTheirSchemas() throws {
    let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
    let files = try FileManager.default.contentsOfDirectory(atPath: snapshots.path)
      .filter { $0.hasSuffix(".json") && !$0.hasPrefix("drift") }.sorted()
    #expect(files.count >= 5)
    let script = """
      import json, os, sys, jsonschema
      from referencing import Registry, Resource
      schema_dir = os.path.dirname(sys.argv[1])
      registry = Registry().with_resources(
          [(s["$id"], Resource.from_contents(s)) for s in (json.load(open(os.path.join(schema_dir, n))) for n in ("plan.schema.json", "drift.schema.json"))])
      bad = 0
      for name in sys.argv[2:]:
          schema = json.load(open(os.path.join(schema_dir, "drift.schema.json" if os.path.basename(name).startswith("drift") else "plan.schema.json")))
          errors = list(jsonschema.Draft202012Validator(schema, registry=registry).iter_errors(json.load(open(name))))
          for error in errors:
              print(f"{name}: {error.message}")
          bad += bool(errors)
      sys.exit(1 if bad else 0)
      """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      ["python3", "-c", script, RepositoryPaths.root.appendingPathComponent("schemas/plan.schema.json").path]
      + (files + ["drift.json"]).map { snapshots.appendingPathComponent($0).path }
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "\(output)")
  }
}
