import BerthManifest
import BerthModel

/// Rules that need a service's compute target: which settings apply, timeout limits, port clashes.
enum TargetRules {
  static func check(_ graph: DesiredGraph) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    var localPorts: [Int: Resource] = [:]
    for service in graph.resources(of: .service) {
      guard case .service(let spec) = service.spec, let target = graph.computeTarget(of: spec) else { continue }
      for field in spec.deployment.keys.sorted() {
        let topField = String(field.split(separator: ".").first ?? "")
        if let types = ManifestSchema.deploymentFieldTargets[topField], !types.contains(target.type) {
          let applies = types.map(\.rawValue).sorted().joined(separator: ", ")
          diagnostics.append(
            .error(
              "'\(topField)' does not apply to compute target '\(spec.computeTarget)' of type \(target.type.rawValue)",
              at: service.location(of: "deployment.\(topField)"), hint: "it applies to: \(applies)"))
        }
      }
      if target.type == .batch, spec.deployment["input_path"] == nil {
        diagnostics.append(
          .error(
            "service '\(service.address.name)' runs on batch compute target '\(spec.computeTarget)' but has no 'input_path' to score",
            at: service.location(of: "deployment"),
            hint: "add `input_path: data/` (a folder relative to this manifest) under deployment"))
      }
      if let timeout = spec.int("scoring_timeout_ms"), let limit = ManifestSchema.scoringTimeoutLimitMs[target.type],
        timeout > limit
      {
        diagnostics.append(
          .error(
            "'scoring_timeout_ms' (\(timeout)) exceeds the \(target.type.rawValue) limit of \(limit) ms",
            at: service.location(of: "deployment.scoring_timeout_ms")))
      }
      for field in TargetSupport.ignoredSettings(spec, on: target.type, batchOnCluster: target.runsBatchOnCluster) {
        diagnostics.append(
          TargetSupport.ignoredSettingWarning(
            field, target: spec.computeTarget, type: target.type, at: service.location(of: "deployment.\(field)")))
      }
      if target.runsImages, graph.workspace?.registry == nil {
        diagnostics.append(
          .error(
            "service '\(service.address.name)' runs on compute target '\(spec.computeTarget)' of type \(target.type.rawValue), which runs images, but no Workspace names a registry to push them to",
            at: service.location(of: "compute_target"),
            hint: "add `registry: {address: myregistry.azurecr.io, username_env: …, password_env: …}` to a Workspace spec"))
      }
      // Images are built with uv; conda solves only on the local target (docs/environments-resolution.md).
      if target.runsImages, let config = graph.inferenceConfig(named: spec.inferenceConfig),
        let environment = graph[ResourceAddress(.environment, config.environment)],
        case .environment(let environmentSpec) = environment.spec, environmentSpec.resolution.solver == .conda
      {
        diagnostics.append(
          .error(
            "environment '\(config.environment)' asks for 'solver: conda', but service '\(service.address.name)' runs on compute target '\(spec.computeTarget)' of type \(target.type.rawValue), whose images install dependencies with uv",
            at: environment.location(of: "solver"),
            hint: "remove 'solver: conda', or give container services an Environment without it"))
      }
      if target.type == .local, let port = spec.int("port") {
        if let other = localPorts[port] {
          diagnostics.append(
            .error(
              "port \(port) is already used by local service '\(other.address.name)'",
              at: service.location(of: "deployment.port"), hint: "local services on one machine need distinct ports"))
        } else {
          localPorts[port] = service
        }
      }
    }
    // Duplicate entries may have been reported twice if two dotted fields share a top-level name.
    var seen: Set<Diagnostic> = []
    return diagnostics.filter { seen.insert($0).inserted }
  }
}
