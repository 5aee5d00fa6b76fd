import BerthModel
import Foundation
import Testing

@testable import BerthTargetKubernetes

/// The JSON parser and writer used for every request and answer.
@Suite struct JSONTests {
  @Test func parsesWhatTheWriterWritesKeepingOrder() throws {
    let value: JSONValue = .obj([
      "z": 1, "a": .array([.double(1.5), .null, true, false, "x"]), "m": .obj(["nested": .obj([:])]),
      "text": "quote \" backslash \\ newline \n tab \t é 🚀 \u{01}", "negative": -42, "exp": .double(1e-3),
    ])
    #expect(try JSONValue.parse(Data(ObjectOutput.json(value).utf8)) == value)
  }

  @Test func readsEscapesAndNumbersAsServersWriteThem() throws {
    let parsed = try JSONValue.parse(Data(#" { "a" : "\u00e9\ud83d\ude80\/" , "b":[ 1 ,2.0, 3e2 ], "c": {} } "#.utf8))
    #expect(parsed["a"] == .string("é🚀/"))
    #expect(parsed["b"] == .array([.int(1), .double(2), .double(300)]))
    #expect(parsed["c"] == .object([]))
  }

  @Test(arguments: ["", "{", #"{"a" 1}"#, "[1,]", "tru", #""open"#, "{} x", "-"])
  func malformedInputIsAnError(_ text: String) {
    #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(Data(text.utf8)) }
  }

  @Test func pathsReachNestedValuesAndDottedKeys() {
    let value: JSONValue = .obj([
      "metadata": .obj(["labels": .obj(["app.kubernetes.io/name": "iris"])]),
      "spec": .obj(["containers": .array([.obj(["image": "img"])])]),
    ])
    #expect(value.value(at: "metadata.labels[app.kubernetes.io/name]") == .string("iris"))
    #expect(value.value(at: "spec.containers[0].image") == .string("img"))
    #expect(value.value(at: "spec.containers[1].image") == nil)
  }
}
