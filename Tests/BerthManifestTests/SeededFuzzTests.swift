import BerthModel
import Foundation
import Testing

@testable import BerthManifest

/// A seeded random-input generator for the manifest parser and validator, run for a fixed budget in every test run.
///
/// Each input is a real example manifest mutated with YAML's sharp edges (aliases, tags, non-finite and huge numbers,
/// control bytes, deep brackets). The loop writes each input to `$BERTH_FUZZ_LAST` (default
/// `<tmp>/berth-fuzz-last.yaml`) before trying it, so an input that crashes the process is on disk: keep it in
/// `Fixtures/fuzz-corpus/` and `corpusInputsNeverCrash` tries it in every later run.
@Suite struct SeededFuzzTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("manifests/examples")
  /// Inputs per test run; `BERTH_FUZZ_BUDGET` raises it for a longer local run.
  static let budget = ProcessInfo.processInfo.environment["BERTH_FUZZ_BUDGET"].flatMap(Int.init) ?? 1500
  static let lastInput =
    ProcessInfo.processInfo.environment["BERTH_FUZZ_LAST"] ?? NSTemporaryDirectory() + "berth-fuzz-last.yaml"

  /// SplitMix64: small, seedable, the same sequence on every platform.
  struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  static let tokens = [
    ".inf", "-.inf", ".nan", "1e400", "99999999999999999999999", "-0", "0x1F", "*a", "&a ", "<<: ", "!!str ", "!!int ",
    "!include ", "! ", "yes", "on", "Y", "~", "null", "\u{0}", "\u{7}", "\u{FEFF}", "[", "]", "{", "}", "- ", ": ", "? ",
    "'", "\"", "#", "|\n", ">\n", "\n", "\n  ", "\t", "---\n", "...\n", "%YAML 1.1\n", "kind: Service\n",
    "apiVersion: berth/v1\n", String(repeating: "[", count: 80), "@", "`", "user:pass@host", "../../..", "/etc/passwd",
  ]

  static func seeds() throws -> [String] {
    let names = try FileManager.default.subpathsOfDirectory(atPath: examples.path).filter { $0.hasSuffix(".yaml") }.sorted()
    return try names.map { try String(contentsOfFile: examples.path + "/" + $0, encoding: .utf8) }
      .filter { $0.contains("kind") }
  }

  static func mutate(_ text: String, with generator: inout Generator) -> String {
    var bytes = Array(text.utf8)
    for _ in 0..<Int.random(in: 1...4, using: &generator) {
      let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &generator)
      switch Int.random(in: 0..<5, using: &generator) {
      case 0, 1: bytes.insert(contentsOf: Array(tokens.randomElement(using: &generator)!.utf8), at: at)
      case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...12, using: &generator)))
      case 3: if !bytes.isEmpty { bytes[at] = UInt8.random(in: 0...255, using: &generator) }
      default:
        let end = min(bytes.count, at + Int.random(in: 1...40, using: &generator))
        bytes.insert(contentsOf: bytes[at..<end], at: at)
      }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Parses and validates one input the way the loader does; returns the diagnostics.
  static func check(_ text: String) -> [Diagnostic] {
    let (documents, diagnostics) = ManifestParser.documents(in: text, file: "fuzz.yaml")
    var all = diagnostics
    for document in documents where ManifestLoader.isBerthDocument(document) {
      all += DocumentValidator.resource(from: document, baseDirectory: "/nonexistent").1
    }
    return all
  }

  @Test func mutatedExamplesNeverCrashAndAlwaysSayWhere() throws {
    let seeds = try Self.seeds()
    #expect(!seeds.isEmpty)
    var generator = Generator(state: 0x00B3_27B5)
    var unlocated: [String] = []
    for _ in 0..<Self.budget {
      let input = Self.mutate(seeds.randomElement(using: &generator)!, with: &generator)
      try? input.write(toFile: Self.lastInput, atomically: false, encoding: .utf8)
      for diagnostic in Self.check(input) where diagnostic.location == nil {
        unlocated.append(diagnostic.description)
      }
    }
    #expect(unlocated.isEmpty, "diagnostics without file:line:col: \(unlocated.prefix(5))")
  }

  @Test func corpusInputsNeverCrash() throws {
    let folder = Self.fixtures.appendingPathComponent("fuzz-corpus").path
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".yaml") }.sorted()
    #expect(!names.isEmpty)
    for name in names {
      let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
      let diagnostics = Self.check(String(decoding: data, as: UTF8.self))
      #expect(diagnostics.hasErrors, "\(name) should be refused")
      #expect(diagnostics.allSatisfy { $0.location != nil }, "\(name): \(diagnostics)")
    }
  }
}
