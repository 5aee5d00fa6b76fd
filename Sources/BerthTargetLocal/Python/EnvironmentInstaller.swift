import Foundation

/// The tool that creates a virtual environment and installs requirements into it.
enum EnvironmentInstaller: Sendable, Equatable {
  /// Astral's uv at `path`; `version` as printed, e.g. `uv 0.5.1`.
  case uv(path: String, version: String)
  /// The interpreter's own `venv` module and pip.
  case pip
  /// micromamba or conda at `path` solving the conda file itself (`solver: conda`); `version` as printed.
  case conda(path: String, version: String)

  /// A short name for messages and the marker, e.g. `uv 0.5.1`.
  var label: String {
    switch self {
    case .uv(_, let version): version
    case .pip: "venv+pip"
    case .conda(_, let version): version
    }
  }

  /// Whether this installer can bound single packages by upload time (the era rule).
  var boundsUploadTimes: Bool {
    if case .uv = self { return true }
    return false
  }

  /// Creates an empty virtual environment at `root` for `interpreter`.
  func createCommand(root: String, interpreter: PythonInterpreter) -> (executable: String, arguments: [String]) {
    switch self {
    case .uv(let path, _):
      (path, ["venv", "--relocatable", "--quiet", "--python", interpreter.path, root])
    case .pip:
      (interpreter.path, ["-m", "venv", root])
    case .conda:
      // Conda creates the environment from the file in one step (`condaCreateCommand`).
      ("/bin/true", [])
    }
  }

  /// Creates the environment at `root` from the conda file `file`, with the file's own channels.
  func condaCreateCommand(root: String, file: String) -> (executable: String, arguments: [String]) {
    guard case .conda(let path, _) = self else { return ("/bin/false", []) }
    if (path as NSString).lastPathComponent.hasPrefix("micromamba") {
      return (path, ["create", "--yes", "--quiet", "--prefix", root, "--file", file])
    }
    return (path, ["env", "create", "--quiet", "--prefix", root, "--file", file])
  }

  /// Installs the requirements file `requirements` into the environment at `root`, limited by the
  /// constraints file `constraints` and uv's `extra` arguments (the era's per-package upload bounds).
  func installCommand(root: String, requirements: String, constraints: String? = nil, extra: [String] = [])
    -> (executable: String, arguments: [String])
  {
    let constraintArguments = constraints.map { ["-c", $0] } ?? []
    switch self {
    case .uv(let path, _):
      return (path, ["pip", "install", "--python", root + "/bin/python", "-r", requirements] + constraintArguments + extra)
    case .pip, .conda:
      return (
        root + "/bin/python",
        ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-r", requirements] + constraintArguments
      )
    }
  }

  /// Lists installed distributions of the environment at `root` as `name==version`.
  func freezeCommand(root: String) -> (executable: String, arguments: [String]) {
    switch self {
    case .uv(let path, _):
      (path, ["pip", "freeze", "--python", root + "/bin/python"])
    case .pip, .conda:
      (root + "/bin/python", ["-m", "pip", "freeze", "--disable-pip-version-check"])
    }
  }
}
