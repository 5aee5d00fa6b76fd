import ArgumentParser
import BerthManifest
import Foundation

/// `berth schema`: the JSON Schemas of the manifest kinds, for editors and CI.
struct SchemaCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "schema",
    abstract: "Print or write the JSON Schema of each manifest kind.")

  @Option(name: .long, help: "Write every schema file into this folder instead of printing one.")
  var out: String?

  @Flag(name: .long, help: "Print the Markdown field reference instead (docs/reference/fields.md).")
  var markdown = false

  @Argument(help: "The kind to print (Service, Model, …); all kinds when omitted and --out is given.")
  var kind: String = "berth"

  func run() async throws {
    if markdown {
      print(SchemaReference.markdown(), terminator: "")
      return
    }
    let files = JSONSchemaGenerator.files()
    if let out {
      try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
      for (name, text) in files.sorted(by: { $0.key < $1.key }) {
        try text.write(toFile: out + "/" + name, atomically: true, encoding: .utf8)
      }
      print("Wrote \(files.count) schemas to \(out)")
      return
    }
    guard let text = files["\(kind.lowercased()).schema.json"] else {
      throw ValidationError(
        "unknown kind '\(kind)'; one of: " + files.keys.map { String($0.dropLast(12)) }.sorted().joined(separator: ", "))
    }
    print(text, terminator: "")
  }
}
