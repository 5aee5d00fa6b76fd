import BerthModel
import Foundation
import Testing

@testable import BerthState

/// The fast reader reads back exactly what the store writes, and refuses what it does not know.
@Suite struct AttributesReaderTests {
  @Test func readsWhatTheStoreWrites() throws {
    let attributes: Attributes = [
      "path": .string("model/a b.pkl"), "version": .int(3), "negative": .int(-7), "cpu_cores": .double(1.0),
      "memory_gb": .double(0.5), "auth_enabled": .bool(false), "on": .bool(true),
      "models": .list([.string("m:1"), .string("n:2")]),
      "empty": .list([]), "unicode": .string("näive ✓"),
    ]
    let json = try StoredForm.json(StoredFieldValue.wrap(attributes))
    let read = try AttributesReader.read(json)
    #expect(read == attributes)
    for (key, value) in attributes {
      // Same case, not only equal numbers: a double stays a double.
      #expect(String(describing: read[key]!) == String(describing: value))
    }
  }

  @Test func escapesAreReadFast() throws {
    let attributes: Attributes = ["quote": .string("say \"hi\"\n"), "slash": .string("a/b\\c")]
    let json = try StoredForm.json(StoredFieldValue.wrap(attributes))
    #expect(try AttributesReader.read(json) == attributes)
  }

  @Test func oddShapesFallBackToTheFullDecoder() throws {
    let attributes: Attributes = ["inf": .double(.infinity)]
    let json = try StoredForm.json(StoredFieldValue.wrap(attributes))
    #expect(throws: AttributesReader.Malformed.self) { try AttributesReader.read(json) }
    #expect(try StoredForm.attributes(json: json) == attributes)
  }

  @Test(arguments: ["", "{", "{\"a\":}", "{\"a\":1,}", "[1]", "{\"a\":nul}", "{\"a\":{\"x\":1}}"])
  func malformedInputThrows(_ text: String) {
    #expect(throws: AttributesReader.Malformed.self) { try AttributesReader.read(text) }
  }
}
