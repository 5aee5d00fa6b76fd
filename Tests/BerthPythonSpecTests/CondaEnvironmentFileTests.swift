import BerthModel
import Testing

@testable import BerthPythonSpec

@Suite struct CondaEnvironmentFileTests {
  /// A conda file like the ones Azure ML samples ship for scikit-learn models.
  static let realWorld = """
    name: diabetes-sklearn-env
    channels:
      - conda-forge
      - defaults
    dependencies:
      - python=3.9
      - numpy=1.26.4
      - scikit-learn==1.5.2
      - scipy=1.13
      - pandas>=2.0,<2.3
      - pip=24.0
      - setuptools
      - pip:
        - inference-schema[numpy-support]==1.8
        - joblib==1.4.2
    """

  @Test func parsesRealWorldFile() throws {
    let file = try CondaEnvironmentFile.parse(Self.realWorld)
    #expect(file.name == "diabetes-sklearn-env")
    #expect(file.channels == ["conda-forge", "defaults"])
    #expect(file.condaDependencies.count == 7)
    #expect(file.pipDependencies == ["inference-schema[numpy-support]==1.8", "joblib==1.4.2"])

    let spec = try file.pythonEnvironmentSpec()
    #expect(spec.pythonVersion == "3.9")
    #expect(
      spec.requirements == [
        "azureml-inference-server-http",
        "inference-schema[numpy-support]==1.8",
        "joblib==1.4.2",
        "numpy==1.26.4",
        "pandas>=2.0,<2.3",
        "scikit-learn==1.5.2",
        "scipy==1.13.*",
        "setuptools",
      ])
    #expect(spec.warnings.isEmpty)
  }

  @Test func keepsAnExplicitServerPinAndDoesNotAddAnother() throws {
    let spec = try CondaEnvironmentFile.parse(
      """
      dependencies:
        - python=3.11
        - pip:
          - azureml-inference-server-http==1.4.0
      """
    ).pythonEnvironmentSpec()
    #expect(spec.requirements == ["azureml-inference-server-http==1.4.0"])
  }

  @Test(arguments: [
    ("numpy=1.26.4", "numpy==1.26.4"),
    ("numpy==1.26.4", "numpy==1.26.4"),
    ("numpy=1.26", "numpy==1.26.*"),
    ("numpy=1.2.*", "numpy==1.2.*"),
    ("numpy 1.26.4", "numpy==1.26.4"),
    ("numpy", "numpy"),
    ("numpy=*", "numpy"),
    ("numpy>=1.20,<2", "numpy>=1.20,<2"),
    ("conda-forge::numpy=1.26.4", "numpy==1.26.4"),
    ("pytorch=2.1.0", "torch==2.1.0"),
    ("py-xgboost=2.0.3", "xgboost==2.0.3"),
    ("msgpack-python", "msgpack"),
    ("python-dateutil=2.9.0", "python-dateutil==2.9.0"),
    ("Scikit-Learn=1.5.2", "scikit-learn==1.5.2"),
  ])
  func translatesCondaPins(conda: String, pip: String) throws {
    let spec = try CondaEnvironmentFile(condaDependencies: ["python=3.9", conda]).pythonEnvironmentSpec()
    #expect(spec.requirements == RequirementName.sortedUnique([pip, "azureml-inference-server-http"]))
  }

  @Test func skipsCondaMachineryAndWarnsAboutLostInformation() throws {
    let spec = try CondaEnvironmentFile(condaDependencies: [
      "python=3.10", "pip", "wheel", "mkl", "cudatoolkit=11.8", "numpy=1.26.4=py310h5f9d8c6_0", "scipy=1.1|1.2",
      "tensorflow-gpu=2.10",
    ]).pythonEnvironmentSpec()
    #expect(spec.pythonVersion == "3.10")
    #expect(spec.requirements == ["azureml-inference-server-http", "numpy==1.26.4", "scipy", "tensorflow==2.10.*"])
    #expect(spec.warnings.contains { $0.contains("'mkl'") })
    #expect(spec.warnings.contains { $0.contains("'cudatoolkit'") })
    #expect(spec.warnings.contains { $0.contains("py310h5f9d8c6_0") })
    #expect(spec.warnings.contains { $0.contains("1.1|1.2") })
    #expect(spec.warnings.contains { $0.contains("tensorflow-gpu") })
    #expect(!spec.warnings.contains { $0.contains("'pip'") || $0.contains("'wheel'") })
  }

  @Test(arguments: [
    ("python=3.9", "3.9"), ("python=3.9.18", "3.9"), ("python==3.12", "3.12"), ("python 3.11", "3.11"),
    ("python=3.9.*", "3.9"),
  ])
  func readsPythonVersion(dependency: String, expected: String) throws {
    #expect(try CondaEnvironmentFile(condaDependencies: [dependency]).pythonEnvironmentSpec().pythonVersion == expected)
  }

  @Test(arguments: ["python>=3.8", "python=3", "python"])
  func warnsAboutLoosePythonConstraints(dependency: String) throws {
    let spec = try CondaEnvironmentFile(condaDependencies: [dependency]).pythonEnvironmentSpec()
    #expect(spec.pythonVersion == nil)
    #expect(spec.warnings.count == 1)
  }

  @Test func warnsWhenPythonIsNotPinnedAtAll() throws {
    let spec = try CondaEnvironmentFile(condaDependencies: ["numpy"]).pythonEnvironmentSpec()
    #expect(spec.pythonVersion == nil)
    #expect(spec.warnings == ["The conda file does not pin 'python'; the default interpreter is used."])
  }

  @Test func pipLineWinsOverCondaLineForTheSamePackage() throws {
    let spec = try CondaEnvironmentFile(
      condaDependencies: ["python=3.9", "numpy=1.26.4", "scikit-learn=1.5.2"],
      pipDependencies: ["numpy==1.26.4", "scikit_learn==1.5.1", "--extra-index-url https://example.invalid/simple"]
    ).pythonEnvironmentSpec()
    #expect(spec.requirements == ["azureml-inference-server-http", "numpy==1.26.4", "scikit_learn==1.5.1"])
    #expect(spec.installerOptions == ["--extra-index-url https://example.invalid/simple"])
    #expect(spec.warnings.count == 1)
    #expect(spec.warnings[0].contains("scikit-learn"))
    #expect(spec.requirementsFileText.hasPrefix("--extra-index-url https://example.invalid/simple\n"))
  }

  @Test func rejectsMalformedFilesWithLineNumbers() {
    #expect(throws: CondaFileError.self) { try CondaEnvironmentFile.parse("- just\n- a list\n") }
    do {
      _ = try CondaEnvironmentFile.parse("name: x\ndependencies:\n  - numpy\n  - [1, 2]\n", source: "env.yml")
      Issue.record("expected an error")
    } catch let error as CondaFileError {
      #expect(error.message.hasPrefix("env.yml:4:"))
    } catch {
      Issue.record("unexpected \(error)")
    }
    #expect(throws: CondaFileError.self) { try CondaEnvironmentFile.parse("dependencies: numpy\n") }
    #expect(throws: CondaFileError.self) { try CondaEnvironmentFile.parse("a: [unclosed\n") }
  }

  @Test func toleratesEmptySections() throws {
    let file = try CondaEnvironmentFile.parse("name: empty\nchannels:\ndependencies:\n  - python=3.9\n  - pip:\n")
    #expect(file.channels.isEmpty)
    #expect(file.pipDependencies.isEmpty)
    #expect(try file.pythonEnvironmentSpec().requirements == ["azureml-inference-server-http"])
  }

  @Test func warningsNameTheLineOfTheDependency() throws {
    let spec = try CondaEnvironmentFile.parse(
      """
      name: exported
      dependencies:
        - _libgcc_mutex=0.1=main
        - mkl=2023.1.0
        - conda-forge::numpy=1.26.4
        - python=3.10
        - pip:
          - -e ./local
      """, source: "env/conda.yml"
    ).pythonEnvironmentSpec()
    #expect(spec.pythonLocation == "env/conda.yml:6:5")
    #expect(
      spec.warnings == [
        "env/conda.yml:3:5: Dropped conda package '_libgcc_mutex': it has no PyPI equivalent (it only orders conda's own installs).",
        "env/conda.yml:4:5: Dropped conda package 'mkl': it has no PyPI equivalent (PyPI's numpy and scipy wheels bundle OpenBLAS instead).",
        "env/conda.yml:5:5: Ignored channel 'conda-forge' of 'numpy': it is installed from PyPI.",
        "env/conda.yml:8:7: Ignored pip line '-e ./local': requirement files and editable installs are not supported.",
      ])
  }

  @Test func refusesRPackagesNamingEveryLine() throws {
    let file = try CondaEnvironmentFile.parse(
      "dependencies:\n  - python=3.10\n  - r-base=4.2\n  - numpy\n  - r-essentials\n", source: "conda.yml")
    do {
      _ = try file.pythonEnvironmentSpec()
      Issue.record("expected R packages to be refused")
    } catch let error as CondaFileError {
      let lines = error.message.split(separator: "\n")
      #expect(lines.count == 2)
      #expect(lines[0].hasPrefix("conda.yml:3:5: 'r-base' is an R package"))
      #expect(lines[1].hasPrefix("conda.yml:5:5: 'r-essentials' is an R package"))
    }
  }

  @Test func carriesTheEnvironmentResolution() throws {
    let file = try CondaEnvironmentFile.parse("dependencies:\n  - python=3.10\n  - numpy\n")
    let defaults = try file.pythonEnvironmentSpec()
    #expect(defaults.eraRule && defaults.constraints.isEmpty && defaults.condaFileText == nil)
    let custom = try file.pythonEnvironmentSpec(
      resolution: EnvironmentResolution(rule: .latest, pipConstraints: ["numpy<2"], solver: .conda))
    #expect(!custom.eraRule)
    #expect(custom.constraints == ["numpy<2"])
    #expect(custom.constraintsFileText == "numpy<2\n")
    #expect(custom.condaFileText == "dependencies:\n  - python=3.10\n  - numpy\n")
  }
}
