import BerthModel
import BerthProcess
import BerthPythonSpec
import Foundation
import Testing

@testable import BerthTargetLocal

/// The parts of resolution that need no package index: solver selection, command lines, import reports.
@Suite struct ResolutionToolsTests {
  /// A stand-in for micromamba or conda: no conda channel is reachable from this project's machines,
  /// so the solver itself cannot run here; this answers `--version` like the real programs do.
  static func fakeSolver(_ name: String, in folder: String, prints version: String) throws {
    try Scratch.write("#!/bin/sh\necho '\(version)'\n", to: folder + "/" + name, executable: true)
  }

  @Test func prefersMicromambaThenConda() throws {
    let folder = try Scratch.directory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.fakeSolver("conda", in: folder, prints: "conda 24.9.2")
    let tool = CondaTool(runner: SpawnedCommandRunner(), environment: ["PATH": folder])
    #expect(tool.find() == .conda(path: folder + "/conda", version: "conda 24.9.2"))
    try Self.fakeSolver("micromamba", in: folder, prints: "2.0.5")
    #expect(tool.find() == .conda(path: folder + "/micromamba", version: "micromamba 2.0.5"))
    #expect(CondaTool(runner: SpawnedCommandRunner(), environment: ["PATH": "/nonexistent"]).find() == nil)
  }

  @Test func condaCommandLines() {
    let micromamba = EnvironmentInstaller.conda(path: "/opt/bin/micromamba", version: "micromamba 2.0.5")
    #expect(
      micromamba.condaCreateCommand(root: "/cache/abc", file: "/cache/abc.environment.yml")
        == (
          "/opt/bin/micromamba", ["create", "--yes", "--quiet", "--prefix", "/cache/abc", "--file", "/cache/abc.environment.yml"]
        ))
    let conda = EnvironmentInstaller.conda(path: "/opt/conda/bin/conda", version: "conda 24.9.2")
    #expect(
      conda.condaCreateCommand(root: "/cache/abc", file: "/cache/abc.environment.yml")
        == (
          "/opt/conda/bin/conda", ["env", "create", "--quiet", "--prefix", "/cache/abc", "--file", "/cache/abc.environment.yml"]
        ))
    // The scoring server goes in with the environment's own pip; uv-only era bounds are not passed.
    #expect(
      conda.installCommand(root: "/cache/abc", requirements: "/r.txt", constraints: "/c.txt", extra: ["--x"])
        == (
          "/cache/abc/bin/python",
          ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-r", "/r.txt", "-c", "/c.txt"]
        ))
    #expect(!conda.boundsUploadTimes)
  }

  @Test func uvInstallCarriesConstraintsAndEraBounds() {
    let uv = EnvironmentInstaller.uv(path: "/bin/uv", version: "uv 0.13.9")
    #expect(
      uv.installCommand(
        root: "/e", requirements: "/e/r.txt", constraints: "/e/c.txt",
        extra: ["--exclude-newer-package", "numpy=2023-03-09T09:57:10Z"]
      ).arguments
        == [
          "pip", "install", "--python", "/e/bin/python", "-r", "/e/r.txt", "-c", "/e/c.txt", "--exclude-newer-package",
          "numpy=2023-03-09T09:57:10Z",
        ])
    #expect(uv.boundsUploadTimes)
  }

  /// `solver: conda` on a machine without micromamba or conda is an error, not a silent uv build.
  @Test func condaSolverWithoutCondaIsAnError() async throws {
    let cache = try Scratch.directory("berth-envcache-conda")
    defer { try? FileManager.default.removeItem(atPath: cache) }
    let folder = try Scratch.directory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Scratch.write("dependencies:\n  - python=3.11\n  - numpy\n", to: folder + "/conda.yml")
    let builder = LocalEnvironmentBuilder(cacheDirectory: cache, environment: ["PATH": "/usr/bin:/bin", "HOME": folder])
    do {
      _ = try await builder.prepare(condaFile: folder + "/conda.yml", resolution: EnvironmentResolution(solver: .conda))
      Issue.record("expected an error")
    } catch {
      #expect("\(error)".contains("'solver: conda', but neither micromamba nor conda is on PATH"))
    }
  }

  @Test func aMissingPythonNamesTheCondaFileLine() async throws {
    let folder = try Scratch.directory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Scratch.write("name: old\ndependencies:\n  - python=3.4\n  - numpy\n", to: folder + "/conda.yml")
    let builder = LocalEnvironmentBuilder(cacheDirectory: folder + "/cache")
    do {
      _ = try await builder.prepare(condaFile: folder + "/conda.yml")
      Issue.record("expected an error")
    } catch {
      #expect("\(error)".hasPrefix(folder + "/conda.yml:3:5: Python 3.4 is not installed on this machine"), "\(error)")
    }
  }

  @Test func importFailuresNameThePackageTheModuleAndTheError() throws {
    let lines = [
      "some chatter from an import",
      #"BERTH-IMPORT {"package": "scikit-learn", "version": "1.2.2", "module": "sklearn", "error": "ValueError: numpy.dtype size changed, may indicate binary incompatibility"}"#,
      #"BERTH-IMPORT {"package": "joblib", "version": "1.2.0", "module": "joblib", "error": null}"#,
      #"BERTH-IMPORT {"package": "missing-one", "error": "it is not installed in the environment"}"#,
    ]
    let outcomes = ImportVerification.outcomes(lines)
    #expect(outcomes.count == 3)
    let failure = try #require(
      ImportVerification.failure(outcomes, expected: ["scikit-learn", "joblib", "missing-one", "pandas"], eraApplied: false))
    #expect(failure.kind == .environmentBuildFailed)
    #expect(
      failure.message.split(separator: "\n").prefix(4) == [
        "The environment installed, but 3 packages do not import:",
        "  - scikit-learn 1.2.2 (import sklearn): ValueError: numpy.dtype size changed, may indicate binary incompatibility",
        "  - missing-one: it is not installed in the environment",
        "  - pandas: the import check stopped before reaching it",
      ])
    #expect(failure.message.contains("remove 'resolution: latest'"))
    #expect(ImportVerification.failure(Array(outcomes[1...1]), expected: ["joblib"], eraApplied: true) == nil)
  }

  @Test func warningsWithALocationReadLikeDiagnostics() {
    #expect(
      LocalEnvironmentBuilder.warningLine("env/conda.yml:4:5: Dropped conda package 'mkl'.")
        == "env/conda.yml:4:5: warning: Dropped conda package 'mkl'.")
    #expect(
      LocalEnvironmentBuilder.warningLine("The conda file does not pin 'python'.")
        == "warning: The conda file does not pin 'python'.")
  }

  @Test func readsFirstUploadTimesFromAProjectPage() throws {
    let page = Data(
      #"""
      {"meta": {"api-version": "1.1"}, "name": "scikit-learn", "files": [
        {"filename": "scikit-learn-1.2.2.tar.gz", "upload-time": "2023-03-09T09:57:57.310907Z"},
        {"filename": "scikit_learn-1.2.2-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "upload-time": "2023-03-09T09:57:10.488759Z"},
        {"filename": "scikit_learn-1.2.1-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "upload-time": "2023-01-24T00:00:00Z"},
        {"filename": "scikit-learn-1.2.2.zip"}
      ]}
      """#.utf8)
    let date = try #require(try SimpleIndexReleaseDates.firstUpload(of: "1.2.2", inProjectPage: page))
    #expect(ISO8601DateFormatter().string(from: date) == "2023-03-09T09:57:10Z")
    #expect(try SimpleIndexReleaseDates.firstUpload(of: "9.9", inProjectPage: page) == nil)
    #expect(SimpleIndexReleaseDates.fileVersion("numpy-1.26.4-cp310-cp310-manylinux_2_17_x86_64.whl") == "1.26.4")
    #expect(SimpleIndexReleaseDates.fileVersion("pandas-1.5.3.tar.gz") == "1.5.3")
  }

  @Test func indexURLComesFromTheSpecThenTheEnvironment() {
    #expect(PythonEnvironmentBuilder.indexURL(options: [], environment: [:]) == "https://pypi.org/simple")
    #expect(
      PythonEnvironmentBuilder.indexURL(options: ["--index-url https://mirror.invalid/simple"], environment: [:])
        == "https://mirror.invalid/simple")
    #expect(
      PythonEnvironmentBuilder.indexURL(options: [], environment: ["PIP_INDEX_URL": "https://pip.invalid/simple"])
        == "https://pip.invalid/simple")
  }

  /// Real PyPI (reachable from this project's machines): the date the era rule uses for the issue's pin.
  @Test func readsARealReleaseDateFromPyPI() throws {
    let cache = try Scratch.directory("berth-release-dates")
    defer { try? FileManager.default.removeItem(atPath: cache) }
    let dates = SimpleIndexReleaseDates(cacheDirectory: cache)
    let pin = ResolutionEra.Pin(name: "scikit-learn", version: "1.2.2")
    let date = try #require(try dates.firstUpload(of: pin))
    #expect(ISO8601DateFormatter().string(from: date).hasPrefix("2023-03-09T"))
    #expect(FileManager.default.fileExists(atPath: cache + "/scikit-learn==1.2.2"))
    #expect(try dates.firstUpload(of: .init(name: "scikit-learn", version: "0.0.404")) == nil)
  }
}

@Suite struct EntryScriptImportsTests {
  @Test func reportsUnconditionalImportsThatCannotBeFound() throws {
    let folder = try Scratch.directory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Scratch.write("VALUE = 1\n", to: folder + "/helpers.py")
    try Scratch.write(
      """
      import json, os.path
      from helpers import VALUE
      import berth_missing_module
      try:
          import berth_optional_module
      except ImportError:
          berth_optional_module = None
      from berth_missing_package.sub import thing

      def init():
          import berth_lazy_module
      """, to: folder + "/score.py")
    let python = try PythonInterpreterLocator().locate(version: nil).path
    let missing = try #require(
      EntryScriptImports.missing(
        python: python, sourceDirectory: folder, entryScript: "score.py", runner: SpawnedCommandRunner()))
    #expect(
      missing == [
        .init(line: 3, column: 1, module: "berth_missing_module"),
        .init(line: 8, column: 1, module: "berth_missing_package"),
      ])
    #expect(
      EntryScriptImports.message(missing, entryScript: "src/score.py", environmentName: "sklearn-env")
        .hasPrefix(
          "src/score.py:3:1: error: module 'berth_missing_module' is imported but not installed in environment 'sklearn-env'\nsrc/score.py:8:1: error:"
        ))
  }

  @Test func aScriptThatDoesNotParseIsLeftToTheServer() throws {
    let folder = try Scratch.directory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Scratch.write("def init(:\n", to: folder + "/score.py")
    let python = try PythonInterpreterLocator().locate(version: nil).path
    #expect(
      EntryScriptImports.missing(
        python: python, sourceDirectory: folder, entryScript: "score.py", runner: SpawnedCommandRunner()) == nil)
  }
}
