import BerthManifest
import BerthModel
import Foundation
import Testing

/// The committed JSON Schemas are what `berth schema` generates, and an independent validator
/// (Python `jsonschema`) reaches the same verdict as Berth on every example and fixture document.
@Suite struct SchemaAgreementTests {
  @Test func committedSchemasAreUpToDate() throws {
    for (name, text) in JSONSchemaGenerator.files() {
      let committed = try String(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("schemas/\(name)"), encoding: .utf8)
      #expect(committed == text, "schemas/\(name) is stale: run `berth schema --out schemas`")
    }
  }

  @Test func fieldReferenceIsUpToDate() throws {
    let committed = try String(
      contentsOf: TestPaths.repositoryRoot.appendingPathComponent("docs/reference/fields.md"), encoding: .utf8)
    #expect(committed == SchemaReference.markdown(), "docs/reference/fields.md is stale: run `berth schema --markdown`")
  }

  @Test func jsonSchemaValidatorAgreesWithBerth() throws {
    let files = Self.manifestFiles()
    #expect(files.count > 30)
    var berthVerdicts: [String: Bool] = [:]
    for file in files {
      // Not UTF-8 (a fixture of exactly that): no document to compare; the checker reports it unreadable.
      guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
      let parsed = ManifestParser.documents(in: text, file: file)
      if !parsed.diagnostics.isEmpty { continue }  // malformed YAML: no document-level verdict to compare
      let indexed = parsed.documents.enumerated().filter { !Self.isEmpty($0.element) }
      guard indexed.contains(where: { ManifestLoader.isBerthDocument($0.element) }) else { continue }
      for (index, document) in parsed.documents.enumerated() where !Self.isEmpty(document) {
        if case .mapping = document.content, !ManifestLoader.isBerthDocument(document) { continue }
        berthVerdicts["\(file)#\(index)"] = !DocumentValidator.schemaCheck(document).diagnostics.hasErrors
      }
    }
    let output = try Self.runChecker(files: files)
    var pythonVerdicts: [String: Bool] = [:]
    for line in output.split(separator: "\n") {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
      let index = object["index"] as! Int
      if index < 0 { continue }
      pythonVerdicts["\(object["file"] as! String)#\(index)"] = object["valid"] as? Bool
    }
    #expect(berthVerdicts.count > 100)
    #expect(berthVerdicts.values.contains(false))
    for (document, verdict) in berthVerdicts.sorted(by: { $0.key < $1.key }) {
      #expect(
        pythonVerdicts[document] == verdict,
        "\(document): Berth says \(verdict), jsonschema says \(String(describing: pythonVerdicts[document]))")
    }
    let onlyPython = Set(pythonVerdicts.keys).subtracting(berthVerdicts.keys).sorted()
    #expect(onlyPython.isEmpty, "documents only the JSON Schema checker saw: \(onlyPython)")
  }

  static func isEmpty(_ node: ManifestNode) -> Bool {
    if case .scalar(.null, _) = node.content { return true }
    return false
  }

  static func manifestFiles() -> [String] {
    var files: [String] = []
    for root in [TestPaths.examples, TestPaths.fixtures] {
      let enumerator = FileManager.default.enumerator(atPath: root.path)
      while let relative = enumerator?.nextObject() as? String {
        if relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") { files.append(root.appendingPathComponent(relative).path) }
      }
    }
    return files.sorted()
  }

  static func runChecker(files: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments =
      [
        "python3", TestPaths.repositoryRoot.appendingPathComponent("scripts/check_schemas.py").path,
        TestPaths.repositoryRoot.appendingPathComponent("schemas").path,
      ] + files
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(
      process.terminationStatus == 0,
      "check_schemas.py failed; is python3 with jsonschema and PyYAML installed? (scripts/bootstrap)")
    return String(decoding: data, as: UTF8.self)
  }
}
