import BerthModel
import BerthProcess
import BerthPythonSpec
import BerthTargetAPI
import Foundation
import Testing

@testable import BerthTargetLocal

/// Real-world conda files (`Fixtures/conda-corpus`), each built from PyPI with uv and its packages imported.
///
/// Slow the first time on a machine: the files resolve to ~16 different stacks, about 0.4 GB of wheels
/// from PyPI. They share uv's cache and the test environment cache (`$TMPDIR/berth-test-envcache`), so
/// later runs reuse the built environments and only re-run the import checks (seconds each).
@Suite(.serialized, .timeLimit(.minutes(90))) struct CondaCorpusTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Fixtures/conda-corpus"
  static let files: [String] =
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".yml") }.sorted()

  @Test func corpusHoldsAtLeastFifteenFiles() {
    #expect(Self.files.count >= 15)
  }

  @Test(arguments: files) func buildsAndImportsEveryPackage(file: String) async throws {
    let path = Self.folder + "/" + file
    let progress = ProgressLines()
    let prepared = try await LocalEnvironmentBuilder(cacheDirectory: SharedEnvironment.cacheDirectory)
      .prepare(condaFile: path, progress: progress.sink)
    let marker = try #require(prepared.marker)

    // The builder imported them before recording the environment; check again, whether built now or reused.
    let packages = marker.spec.requirements.map { RequirementLine($0).name }
    let check = ImportVerification.command(root: prepared.environment.root, packages: packages)
    let result = try SpawnedCommandRunner().run(Command(check.executable, check.arguments, timeout: .seconds(600)))
    let outcomes = ImportVerification.outcomes(result.outputLines)
    #expect(ImportVerification.failure(outcomes, expected: packages, eraApplied: true) == nil, "\(file)")
    #expect(Set(outcomes.map(\.package)) == Set(packages), "\(file)")

    let installed = Dictionary(
      marker.installedPackages.compactMap { line -> (String, String)? in
        let parts = line.components(separatedBy: "==")
        return parts.count == 2 ? (RequirementName.normalize(parts[0]), parts[1]) : nil
      }, uniquingKeysWith: { first, _ in first })
    for expectation in try Self.expectations(path) {
      let version = installed[expectation.name]
      #expect(version.map(expectation.holds) == true, "\(file): \(expectation.text), installed \(version ?? "nothing")")
    }
  }

  /// `# expect: numpy<2` and `# expect: scikit-learn==1.2.2` lines of a corpus file.
  struct Expectation {
    var text: String
    var name: String
    var exact: String?
    var below: [Int]?

    func holds(_ version: String) -> Bool {
      if let exact { return version == exact }
      guard let below else { return false }
      let parts = version.split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 }
      for (index, limit) in below.enumerated() {
        let part = index < parts.count ? parts[index] : 0
        if part != limit { return part < limit }
      }
      return false
    }
  }

  static func expectations(_ path: String) throws -> [Expectation] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line in
      guard line.hasPrefix("# expect: ") else { return nil }
      let text = String(line.dropFirst("# expect: ".count))
      if let range = text.range(of: "==") {
        return Expectation(
          text: text, name: RequirementName.normalize(String(text[..<range.lowerBound])),
          exact: String(text[range.upperBound...]))
      }
      let parts = text.split(separator: "<")
      return Expectation(
        text: text, name: RequirementName.normalize(String(parts[0])),
        below: parts[1].split(separator: ".").compactMap { Int($0) })
    }
  }

  /// The issue's service died in `init()` at `joblib.load`; in the era-resolved environment a scikit-learn model
  /// saved with joblib loads and predicts.
  @Test func issueCaseLoadsAJoblibModel() async throws {
    let path = Self.folder + "/01-azureml-sklearn-1.2.2-py310.yml"
    let prepared = try await LocalEnvironmentBuilder(cacheDirectory: SharedEnvironment.cacheDirectory)
      .prepare(condaFile: path)
    let folder = try Scratch.directory("berth-joblib")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let script = """
      import joblib, numpy, sklearn
      from sklearn.linear_model import Ridge
      joblib.dump(Ridge().fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0]), "model.pkl")
      model = joblib.load("model.pkl")
      print("BERTH-RESULT", sklearn.__version__, numpy.__version__, round(float(model.predict([[3.0]])[0]), 3))
      """
    let result = try SpawnedCommandRunner().run(
      Command(prepared.environment.pythonPath, ["-c", script], workingDirectory: folder, timeout: .seconds(120)))
    #expect(result.succeeded, "\(result.outputLines)")
    let line = result.outputLines.first { $0.hasPrefix("BERTH-RESULT ") } ?? ""
    #expect(line.hasPrefix("BERTH-RESULT 1.2.2 1."), "\(result.outputLines)")
  }

  /// The issue's failing case: without the era rule uv takes numpy 2 and scikit-learn 1.2.2 no longer imports;
  /// the build says so instead of recording an environment whose service dies in `init()`.
  /// Slow (~15 s with a warm uv cache): a failed build is not cached, so it installs every run.
  @Test func issueCaseFailsVerificationWithoutTheEraRule() async throws {
    let path = Self.folder + "/01-azureml-sklearn-1.2.2-py310.yml"
    let builder = LocalEnvironmentBuilder(cacheDirectory: SharedEnvironment.cacheDirectory)
    do {
      _ = try await builder.prepare(condaFile: path, resolution: EnvironmentResolution(rule: .latest))
      Issue.record("expected the import check to fail with numpy 2")
    } catch let error as TargetError {
      #expect(error.message.contains("scikit-learn 1.2.2 (import sklearn)"), "\(error.message)")
      #expect(error.message.contains("not import"), "\(error.message)")
      #expect(error.message.contains("pip_constraints"), "\(error.message)")
      #expect(!error.isRetryable)
    }
  }

  /// The same file with the era rule: the added bounds are printed with their reason.
  /// Slow (~30 s with a warm uv cache): it builds into a scratch cache so that the build output is seen.
  @Test func issueCasePrintsTheBoundsItAdds() async throws {
    let path = Self.folder + "/01-azureml-sklearn-1.2.2-py310.yml"
    let cache = try Scratch.directory("berth-envcache-era")
    defer { try? FileManager.default.removeItem(atPath: cache) }
    let progress = ProgressLines()
    let prepared = try await LocalEnvironmentBuilder(cacheDirectory: cache).prepare(condaFile: path, progress: progress.sink)
    let era = progress.lines.filter { $0.hasPrefix("era: ") }
    #expect(era.contains { $0.hasPrefix("era: numpy resolves no newer than 2023-03-") && $0.contains("scikit-learn==1.2.2") })
    #expect(era.contains { $0.hasPrefix("era: pandas ") && $0.contains("not pinned in the conda file") })
    #expect(!era.contains { $0.contains("azureml-inference-server-http") || $0.contains("inference-schema") })
    #expect(progress.lines.contains { $0.hasPrefix("verified: ") && $0.contains("sklearn") })
    #expect(prepared.marker?.resolution?.count == era.count)
  }

  /// `pip_constraints` reach transitive packages and change the environment's hash.
  @Test func pipConstraintsApplyAndChangeTheHash() async throws {
    let folder = try Scratch.directory("berth-constraints")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Scratch.write("dependencies:\n  - python=3.11\n  - scikit-learn=1.3.2\n", to: folder + "/conda.yml")
    let builder = LocalEnvironmentBuilder(cacheDirectory: SharedEnvironment.cacheDirectory)
    let plain = try await builder.prepare(condaFile: folder + "/conda.yml")
    let constrained = try await builder.prepare(
      condaFile: folder + "/conda.yml", resolution: EnvironmentResolution(pipConstraints: ["scipy<1.11"]))
    #expect(plain.environment.hash != constrained.environment.hash)
    let scipy = constrained.marker?.installedPackages.first { $0.hasPrefix("scipy==") }
    #expect(scipy?.hasPrefix("scipy==1.10.") == true, "\(scipy ?? "no scipy")")
  }
}
