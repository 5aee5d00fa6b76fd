/// The tool that creates a virtual environment and installs requirements into it.
enum EnvironmentInstaller: Sendable {
  /// Astral's uv at `path`; `version` as printed, e.g. `uv 0.5.1`.
  case uv(path: String, version: String)
  /// The interpreter's own `venv` module and pip.
  case pip

  /// A short name for messages and the marker, e.g. `uv 0.5.1`.
  var label: String {
    switch self {
    case .uv(_, let version): version
    case .pip: "venv+pip"
    }
  }

  /// Creates an empty virtual environment at `root` for `interpreter`.
  func createCommand(root: String, interpreter: PythonInterpreter) -> (executable: String, arguments: [String]) {
    switch self {
    case .uv(let path, _):
      (path, ["venv", "--relocatable", "--quiet", "--python", interpreter.path, root])
    case .pip:
      (interpreter.path, ["-m", "venv", root])
    }
  }

  /// Installs the requirements file `requirements` into the environment at `root`.
  func installCommand(root: String, requirements: String) -> (executable: String, arguments: [String]) {
    switch self {
    case .uv(let path, _):
      (path, ["pip", "install", "--python", root + "/bin/python", "-r", requirements])
    case .pip:
      (root + "/bin/python", ["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-r", requirements])
    }
  }

  /// Lists installed distributions of the environment at `root` as `name==version`.
  func freezeCommand(root: String) -> (executable: String, arguments: [String]) {
    switch self {
    case .uv(let path, _):
      (path, ["pip", "freeze", "--python", root + "/bin/python"])
    case .pip:
      (root + "/bin/python", ["-m", "pip", "freeze", "--disable-pip-version-check"])
    }
  }
}
