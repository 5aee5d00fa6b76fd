import BerthManifest
import BerthModel
import Testing

@Suite struct ManifestParserTests {
  @Test func splitsDocumentsAndKeepsPositions() {
    let text = "apiVersion: berth/v1\nkind: Model\n---\napiVersion: berth/v1\nkind: Environment\n"
    let (documents, diagnostics) = ManifestParser.documents(in: text, file: "m.yaml")
    #expect(diagnostics.isEmpty)
    #expect(documents.count == 2)
    #expect(documents[1]["kind"]?.location == SourceLocation(file: "m.yaml", line: 5, column: 7))
  }

  @Test func quotedNumbersStayStrings() {
    // Only Berth documents (with a kind) are converted in full.
    let (documents, _) = ManifestParser.documents(
      in: "kind: Model\na: \"8890\"\nb: 8890\nc: 1.5\nd: true\ne: ~\n", file: "m.yaml")
    let node = documents[0]
    #expect(node["a"]?.typeName == "string")
    #expect(node["b"]?.typeName == "integer")
    #expect(node["c"]?.typeName == "number")
    #expect(node["d"]?.typeName == "boolean")
    #expect(node["e"]?.typeName == "null")
  }

  @Test func malformedYamlIsADiagnosticWithPosition() {
    let (documents, diagnostics) = ManifestParser.documents(in: "a: 1\n---\nb: [1, 2\n", file: "bad.yaml")
    #expect(documents.count == 1)
    #expect(diagnostics.count == 1)
    #expect(diagnostics[0].location?.file == "bad.yaml")
    #expect(diagnostics[0].location?.line == 4)
  }

  @Test func binaryGarbageNeverCrashes() {
    let inputs = ["\u{0}\u{1}\u{2}", "{{{{", "- - - -\n  : :", String(repeating: "[", count: 500), "key: value\n\tbad: tab"]
    for input in inputs {
      let (_, diagnostics) = ManifestParser.documents(in: input, file: "x.yaml")
      #expect(!diagnostics.isEmpty, "no diagnostic for \(input.debugDescription)")
      #expect(diagnostics.allSatisfy { $0.severity == .error && $0.location?.file == "x.yaml" })
    }
  }
}

@Suite struct SchemaValidationTests {
  func check(_ yaml: String) -> [Diagnostic] {
    let (documents, _) = ManifestParser.documents(in: yaml, file: "m.yaml")
    return DocumentValidator.schemaCheck(documents[0]).diagnostics
  }

  @Test func unknownFieldGetsASuggestion() {
    let diagnostics = check("apiVersion: berth/v1\nkind: Environment\nmetadata: {name: e}\nspec: {conda_fle: c.yaml}\n")
    #expect(diagnostics.map(\.message).contains("unknown field 'conda_fle' in Environment spec"))
    #expect(diagnostics.contains { $0.hint == "did you mean 'conda_file'?" })
  }

  @Test func nestedObjectsAreChecked() {
    let yaml = """
      apiVersion: berth/v1
      kind: Service
      metadata: {name: s}
      spec:
        compute_target: aks
        models: [m]
        inference_config: ic
        deployment: {liveness_probe: {period_seconds: 0, peroid_seconds: 1}}
      """
    let messages = check(yaml).map(\.message)
    #expect(messages.contains("'period_seconds' must be at least 1, found 0"))
    #expect(messages.contains("unknown field 'peroid_seconds' in 'liveness_probe'"))
  }

  @Test func validDocumentHasNoDiagnostics() {
    #expect(
      check("apiVersion: berth/v1\nkind: ComputeTarget\nmetadata: {name: local}\nspec: {type: aks, namespace: ml}\n").isEmpty)
  }
}

@Suite struct YAMLDialectTests {
  func parse(_ yaml: String) -> (ManifestNode?, [String]) {
    let (documents, diagnostics) = ManifestParser.documents(in: yaml, file: "m.yaml")
    return (documents.first, diagnostics.map(\.description))
  }

  @Test func onlyYAML12BooleansAreBooleans() {
    let (node, _) = parse("kind: Model\na: true\nb: False\nc: yes\nd: on\ne: Y\n")
    #expect(["a", "b"].map { node?[$0]?.typeName } == ["boolean", "boolean"])
    #expect(["c", "d", "e"].map { node?[$0]?.typeName } == ["string", "string", "string"])
  }

  @Test func anAliasIsReportedWhereItIsWrittenAndNeverExpanded() {
    let (node, messages) = parse("kind: Model\nbase: &b {port: 1}\nother:\n  - x\n  - *b\n")
    #expect(
      messages == [
        "m.yaml:5:5: error: YAML alias '*b' is not supported in manifests\n  hint: write the value out (the anchor is at line 2)"
      ])
    guard case .sequence(let items)? = node?["other"]?.content else {
      Issue.record("no list")
      return
    }
    #expect(items.count == 2)
    #expect(items[1].isRefused)
  }

  @Test func aMergeKeyIsReportedAtItsOwnLine() {
    let (_, messages) = parse("kind: Model\nbase: &b {port: 1}\nspec:\n  <<: *b\n")
    #expect(
      messages == [
        "m.yaml:4:3: error: YAML merge key '<<' is not supported in manifests\n  hint: write the fields out; overlays (--overlay) share settings between environments"
      ])
  }

  @Test func strTagMakesAStringAndOtherTagsAreRefused() {
    let (node, messages) = parse("kind: Model\na: !!str 18890\nb: !include other.yaml\n")
    #expect(node?["a"]?.stringValue == "18890")
    #expect(
      messages == [
        "m.yaml:3:4: error: YAML tag '!include' is not supported in manifests\n  hint: write the value itself; quote it to make it a string"
      ])
  }

  @Test func hugeIntegersAreIntegersNotStrings() {
    let (node, _) = parse("kind: Model\na: 99999999999999999999999\n")
    #expect(node?["a"]?.typeName == "integer")
  }

  @Test func aControlByteIsReportedAtItsLine() {
    let (_, messages) = parse("kind: Model\nspec:\n  a: \"x\u{7}y\"\n")
    #expect(messages.first?.hasPrefix("m.yaml:3:") == true, "\(messages)")
  }

  @Test func anotherToolsDocumentIsNotWalked() {
    let (node, messages) = parse("apiVersion: v1\nkind: ConfigMap\ndata: {a: 1}\n")
    #expect(messages.isEmpty)
    guard case .mapping(let entries)? = node?.content else {
      Issue.record("not a mapping")
      return
    }
    #expect(entries.isEmpty)
  }
}
