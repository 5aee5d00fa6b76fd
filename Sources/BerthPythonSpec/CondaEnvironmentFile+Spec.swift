import BerthModel
import Foundation

extension CondaEnvironmentFile {
  /// The pip package that provides the scoring server, added when absent.
  public static let scoringServerPackage = "azureml-inference-server-http"

  /// Translates the conda dependencies into a pip-installable spec.
  ///
  /// `python=X.Y[.Z]` becomes `pythonVersion` `X.Y`; conda pins become pip
  /// pins (`numpy=1.26.4` → `numpy==1.26.4`, `scipy=1.13` → `scipy==1.13.*`);
  /// known conda names are renamed (`pytorch` → `torch`); conda-only
  /// packages are dropped with a warning naming their line, R packages are
  /// refused; a package listed both by conda and pip keeps the pip line; the
  /// scoring server is added when absent. `resolution` adds the Environment's
  /// constraints and rule; with `solver: conda` the file itself is kept for the solver.
  ///
  /// Throws `CondaFileError` listing every refused line at once.
  public func pythonEnvironmentSpec(resolution: EnvironmentResolution = EnvironmentResolution()) throws
    -> PythonEnvironmentSpec
  {
    var warnings = self.warnings
    var refusals: [String] = []
    var pythonVersion: String?
    var pythonLocation: String?
    var pinsPython = false
    var byName: [String: String] = [:]

    for (index, dependency) in condaDependencies.enumerated() {
      let at = condaPrefix(index)
      guard let spec = CondaMatchSpec(dependency) else {
        warnings.append("\(at)Ignored conda dependency '\(dependency)': it does not start with a package name.")
        continue
      }
      if spec.name == "python" {
        pinsPython = true
        pythonLocation = at.isEmpty ? nil : String(at.dropLast(2))
        pythonVersion = Self.pythonMajorMinor(spec, at: at, warnings: &warnings)
        continue
      }
      if CondaPackageMapping.implicit.contains(spec.name) { continue }
      if let refusal = CondaPackageMapping.refusal(spec.name) {
        refusals.append("\(at)\(refusal)")
        continue
      }
      if CondaPackageMapping.condaOnly.contains(spec.name) {
        let reason = CondaPackageMapping.dropReasons[spec.name].map { " (\($0))" } ?? ""
        warnings.append("\(at)Dropped conda package '\(spec.name)': it has no PyPI equivalent\(reason).")
        continue
      }
      let pipName = CondaPackageMapping.renames[spec.name] ?? spec.name
      if let note = CondaPackageMapping.notableRenames[spec.name] {
        warnings.append("\(at)Conda package '\(spec.name)': \(note)")
      }
      if let channel = spec.channel {
        warnings.append("\(at)Ignored channel '\(channel)' of '\(spec.name)': it is installed from PyPI.")
      }
      if let build = spec.build {
        warnings.append("\(at)Ignored build string '\(build)' of conda package '\(spec.name)'.")
      }
      if spec.bracket != nil {
        warnings.append("\(at)Ignored bracket constraint of conda package '\(spec.name)'; installing it unpinned.")
      }
      var requirement = pipName
      switch spec.pipVersion {
      case .unconstrained: break
      case .specifier(let specifier): requirement += specifier
      case .unsupported:
        warnings.append(
          "\(at)Conda version '\(spec.version)' of '\(spec.name)' has no pip equivalent; installing it unpinned.")
      }
      byName[RequirementName.normalize(pipName)] = requirement
    }
    if !refusals.isEmpty {
      throw CondaFileError(refusals.joined(separator: "\n"))
    }

    var options: [String] = []
    var pipLines: [String] = []
    for (index, raw) in pipDependencies.enumerated() {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.isEmpty || line.hasPrefix("#") { continue }
      if line.hasPrefix("-r") || line.hasPrefix("--requirement") || line.hasPrefix("-e") || line.hasPrefix("--editable") {
        warnings.append(
          "\(pipPrefix(index))Ignored pip line '\(line)': requirement files and editable installs are not supported.")
      } else if line.hasPrefix("-") {
        options.append(line)
      } else {
        pipLines.append(line)
      }
    }
    for line in pipLines {
      let name = RequirementName.normalized(ofRequirement: line)
      if let fromConda = byName.removeValue(forKey: name), fromConda != line,
        !pipLines.contains(fromConda)
      {
        warnings.append("'\(name)' is listed by conda ('\(fromConda)') and pip ('\(line)'); using the pip line.")
      }
    }

    var requirements = Array(byName.values) + pipLines
    let names = Set(requirements.map(RequirementName.normalized(ofRequirement:)))
    if !names.contains(Self.scoringServerPackage) {
      requirements.append(Self.scoringServerPackage)
    }
    if !pinsPython {
      warnings.append("The conda file does not pin 'python'; the default interpreter is used.")
    }
    var result = PythonEnvironmentSpec(
      pythonVersion: pythonVersion, requirements: requirements, installerOptions: options, warnings: warnings)
    result.pythonLocation = pythonLocation
    result.eraRule = resolution.rule == .era
    result.constraints = resolution.pipConstraints
    if resolution.solver == .conda { result.condaFileText = text ?? "" }
    return result
  }

  /// `python=3.9.18` → `3.9`; anything pip-like or looser yields `nil` plus a warning.
  private static func pythonMajorMinor(_ spec: CondaMatchSpec, at: String, warnings: inout [String]) -> String? {
    var version = spec.version
    if version.hasPrefix("==") {
      version.removeFirst(2)
    } else if version.hasPrefix("=") {
      version.removeFirst()
    }
    let parts = version.split(separator: ".")
    guard parts.count >= 2, parts[0].allSatisfy(\.isNumber), parts[1].allSatisfy(\.isNumber) else {
      warnings.append(
        "\(at)Python constraint '\(spec.version.isEmpty ? "python" : "python" + spec.version)' does not name a major.minor version; the default interpreter is used."
      )
      return nil
    }
    return "\(parts[0]).\(parts[1])"
  }
}
