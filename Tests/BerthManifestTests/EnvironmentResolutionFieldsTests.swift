import BerthModel
import Testing

@testable import BerthManifest

@Suite struct EnvironmentResolutionFieldsTests {
  func resource(_ spec: String) -> (Resource?, [Diagnostic]) {
    let yaml = "apiVersion: berth/v1\nkind: Environment\nmetadata: {name: e}\nspec:\n" + spec
    let (documents, _) = ManifestParser.documents(in: yaml, file: "env.yaml")
    let checked = DocumentValidator.resource(from: documents[0], baseDirectory: "/m")
    return (checked.0, checked.1)
  }

  @Test func defaultsAreTheEraRuleWithUv() throws {
    let (resource, diagnostics) = resource("  conda_file: conda.yaml\n")
    #expect(diagnostics.isEmpty)
    guard case .environment(let spec)? = resource?.spec else { throw Unexpected() }
    #expect(spec.resolution == EnvironmentResolution(rule: .era, pipConstraints: [], solver: .uv))
    #expect(spec.resolution.isDefault)
  }

  @Test func decodesResolutionConstraintsAndSolver() throws {
    let (resource, diagnostics) = resource(
      "  conda_file: conda.yaml\n  resolution: latest\n  pip_constraints: [numpy<2, scipy<1.11]\n  solver: conda\n")
    #expect(diagnostics.isEmpty)
    guard case .environment(let spec)? = resource?.spec else { throw Unexpected() }
    #expect(spec.resolution == EnvironmentResolution(rule: .latest, pipConstraints: ["numpy<2", "scipy<1.11"], solver: .conda))
  }

  @Test func unknownValuesAreErrorsAtTheirLine() {
    let (_, diagnostics) = resource(
      "  conda_file: conda.yaml\n  solver: mamba\n  resolution: newest\n  pip_constraints: numpy<2\n")
    #expect(diagnostics.count == 3)
    #expect(diagnostics.compactMap { $0.location?.line }.sorted() == [6, 7, 8])
  }

  struct Unexpected: Error {}
}
