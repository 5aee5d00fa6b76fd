import BerthProcess
import BerthPythonSpec
import Foundation

/// The resolution steps of a build: the era's bounds before installing, the import check after.
extension PythonEnvironmentBuilder {
  /// The era bounds for `spec` (see `ResolutionEra`), printed as build output; `nil` when none apply.
  func eraPlan(_ spec: PythonEnvironmentSpec, installer: EnvironmentInstaller, onOutput: (String) -> Void)
    -> ResolutionEra.Plan?
  {
    guard spec.eraRule else {
      onOutput("==> resolution: latest (the era rule is off), unpinned packages take the newest versions")
      return nil
    }
    let pins = ResolutionEra.pins(in: spec)
    guard !pins.isEmpty else {
      onOutput("==> era: the conda file pins no exact versions, so unpinned packages take the newest versions")
      return nil
    }
    guard installer.boundsUploadTimes, case .uv(let uv, _) = installer else {
      onOutput("==> warning: era rule not applied: \(installer.label) cannot bound packages by upload time (uv can)")
      return nil
    }
    // A uv on PATH may predate per-package bounds; ask it rather than guess from its version.
    let help = try? runner.run(
      Command(uv, ["pip", "install", "--help"], environment: childEnvironment, timeout: .seconds(30)))
    guard help?.outputLines.contains(where: { $0.contains("--exclude-newer-package") }) == true else {
      onOutput("==> warning: era rule not applied: \(installer.label) has no --exclude-newer-package; a newer uv has")
      return nil
    }
    let index = Self.indexURL(options: spec.installerOptions, environment: environment)
    let lookup: any ReleaseDateLooking =
      releaseDates ?? SimpleIndexReleaseDates(indexURL: index, cacheDirectory: cacheDirectory + "/.release-dates")
    let found: ResolutionEra.Plan?
    do {
      found = try ResolutionEra.plan(for: spec, lookup: lookup)
    } catch {
      onOutput("==> warning: era rule not applied: cannot read release dates from \(index): \(error)")
      return nil
    }
    guard let plan = found else {
      onOutput("==> era: every package is pinned or bounded; no bound added")
      return nil
    }
    for line in plan.explanation { onOutput("==> " + line) }
    return plan
  }

  /// The index whose upload times the era uses: the spec's `--index-url`, else uv's or pip's variable, else PyPI.
  static func indexURL(options: [String], environment: [String: String]) -> String {
    for option in options {
      let parts = option.split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
      if parts.count >= 2, parts[0] == "--index-url" || parts[0] == "-i" { return parts[1] }
    }
    return environment["UV_DEFAULT_INDEX"] ?? environment["UV_INDEX_URL"] ?? environment["PIP_INDEX_URL"]
      ?? SimpleIndexReleaseDates.pypi
  }

  /// Imports every listed package's top-level modules in the new environment; a failure is a build error.
  func verifyImports(root: String, spec: PythonEnvironmentSpec, eraApplied: Bool, onOutput: (String) -> Void)
    throws
  {
    // Lines with an environment marker may rightly be absent; direct references have no name to look up.
    var packages: [String] = []
    for line in spec.requirements.map(RequirementLine.init) where !line.isDirectReference && !packages.contains(line.name) {
      packages.append(line.name)
    }
    let conditional = Set(spec.requirements.filter { $0.contains(";") }.map(RequirementName.normalized(ofRequirement:)))
    packages.removeAll { conditional.contains($0) }
    onOutput("==> verifying: importing the top-level modules of \(packages.joined(separator: " "))")
    let invocation = ImportVerification.command(root: root, packages: packages)
    let result = try runner.run(
      Command(
        invocation.executable, invocation.arguments, environment: childEnvironment, workingDirectory: cacheDirectory,
        timeout: options.installTimeout))
    let outcomes = ImportVerification.outcomes(result.outputLines)
    if var failure = ImportVerification.failure(outcomes, expected: packages, eraApplied: eraApplied) {
      if !result.succeeded {
        failure = LocalTargetError(
          failure.kind, failure.message, outputTail: result.lastLines(options.failureTailLineCount))
      }
      throw failure
    }
    let modules = outcomes.compactMap(\.module)
    onOutput("==> verified: \(modules.count) module(s) import (\(modules.joined(separator: ", ")))")
  }
}
