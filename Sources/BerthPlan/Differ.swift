import BerthGraph
import BerthModel
import BerthState
import BerthTargetAPI

/// Compares desired resources with recorded state and with what targets observe.
public enum Differ {
  /// Service fields that cannot change in place: a change replaces the service.
  static let immutableServiceFields: Set<String> = ["compute_target", "deployment.port"]

  public static func diff(_ original: PlanInput) -> ChangeSet {
    let moves = Moves.resolve(graph: original.graph, state: original.state)
    let input = moves.applied(to: original)
    let (desired, desiredDiagnostics) = DesiredState.build(input)
    var diagnostics = moves.diagnostics + desiredDiagnostics
    var changes: [ResourceChange] = []
    var unchanged: [ResourceAddress] = []
    let builtEnvironments = environmentsUsedLocally(input.graph)

    for address in input.graph.order {
      guard let want = desired[address] else { continue }
      let recorded = input.state.resources[address]
      let fieldChanges = diffAttributes(recorded?.attributes ?? [:], want.attributes)
        .filter { change in !want.lifecycle.ignoreChanges.contains { ignored in Self.path(change.path, isUnder: ignored) } }
      var kind: ActionKind?
      var reasons: [String] = []

      if recorded == nil {
        kind = createKind(address, builtEnvironments)
        reasons.append(createReason(address, want))
      } else if !fieldChanges.isEmpty {
        (kind, reasons) = changeKind(address, fieldChanges, want, builtEnvironments)
      }
      if address.kind == .service || address.kind == .endpoint, let recorded, let observation = input.observations[address] {
        var (driftKind, driftReason) = drift(recorded: recorded, observation: observation)
        // An endpoint is published, not deployed: its gateway comes back by publishing it again.
        if address.kind == .endpoint, driftKind == .deploy { driftKind = .provision }
        if let driftKind {
          switch (kind, driftKind) {
          case (nil, _): kind = driftKind
          case (.update?, .deploy): kind = .deploy
          default: break
          }
          reasons.insert(driftReason, at: 0)
        }
      }
      if address.kind == .computeTarget, recorded != nil, let observation = input.observations[address],
        let reason = computeTargetDrift(observation)
      {
        if kind == nil { kind = .provision }
        reasons.insert(reason, at: 0)
      }
      let movedFrom = moves.sources[address]
      if let movedFrom {
        if kind == nil {
          kind = .move
          reasons.append(
            "renamed from \(movedFrom) (metadata.previous_names); "
              + (address.kind == .model ? "its registered versions keep their numbers" : "nothing on the target changes"))
        } else {
          reasons.insert("renamed from \(movedFrom)", at: 0)
        }
      }
      guard let kind else {
        unchanged.append(address)
        continue
      }
      if kind == .replace && want.lifecycle.preventDestroy {
        diagnostics.append(
          .error(
            "\(address) has lifecycle.prevent_destroy set, but this plan replaces it (\(reasons.joined(separator: "; ")))",
            at: input.graph[address]?.location(of: "lifecycle.prevent_destroy"),
            hint: "remove prevent_destroy to allow the replacement, or undo the change"))
      }
      changes.append(
        ResourceChange(
          address: address, kind: kind, changes: fieldChanges, reasons: reasons, attributes: want.attributes,
          dependencies: want.dependencies, movedFrom: movedFrom))
    }

    // Only the records left out of the manifests are sorted (sorting every record, values and all, was a tenth of a
    // no-op plan of 10,000 resources).
    for address in input.state.resources.keys.filter({ desired[$0] == nil }).sorted() {
      guard let record = input.state.resources[address] else { continue }
      changes.append(
        ResourceChange(
          address: address, kind: .delete,
          changes: record.attributes.keys.sorted().map { FieldChange(path: $0, before: record.attributes[$0], after: nil) },
          reasons: ["no longer in the manifests"], recordedDependencies: record.dependencies))
    }
    return ChangeSet(changes: changes, unchanged: unchanged, diagnostics: diagnostics)
  }

  /// Every recorded resource is deleted (`berth destroy`); protected ones block the plan.
  public static func destroy(_ input: PlanInput) -> ChangeSet {
    var diagnostics: [Diagnostic] = []
    var changes: [ResourceChange] = []
    for address in input.state.resources.keys.sorted() {
      guard let record = input.state.resources[address] else { continue }
      if let resource = input.graph[address], resource.lifecycle.preventDestroy {
        diagnostics.append(
          .error(
            "\(address) has lifecycle.prevent_destroy set and cannot be destroyed",
            at: resource.location(of: "lifecycle.prevent_destroy"), hint: "remove prevent_destroy first"))
      }
      changes.append(
        ResourceChange(
          address: address, kind: .delete, changes: [], reasons: ["destroy requested"], recordedDependencies: record.dependencies)
      )
    }
    return ChangeSet(changes: changes, unchanged: [], diagnostics: diagnostics)
  }

  static func path(_ path: String, isUnder prefix: String) -> Bool {
    path == prefix || path.hasPrefix(prefix + ".") || path.hasPrefix(prefix + "[")
  }

  static func diffAttributes(_ before: Attributes, _ after: Attributes) -> [FieldChange] {
    if before == after { return [] }  // the common case of a plan, without building and sorting the key set
    return Set(before.keys).union(after.keys).sorted().compactMap { key in
      before[key] == after[key] ? nil : FieldChange(path: key, before: before[key], after: after[key])
    }
  }

  /// Environments that a local or batch service runs in: they are built on this machine.
  static func environmentsUsedLocally(_ graph: DesiredGraph) -> Set<String> {
    var names: Set<String> = []
    for service in graph.resources(of: .service) {
      guard case .service(let spec) = service.spec, graph.computeTarget(of: spec)?.runsOnThisMachine == true,
        let config = graph.inferenceConfig(named: spec.inferenceConfig)
      else { continue }
      names.insert(config.environment)
    }
    return names
  }

  static func createKind(_ address: ResourceAddress, _ built: Set<String>) -> ActionKind {
    switch address.kind {
    case .model, .inferenceConfig, .workspace: .register
    case .environment: built.contains(address.name) ? .build : .register
    case .computeTarget, .endpoint: .provision
    case .service: .deploy
    }
  }

  static func createReason(_ address: ResourceAddress, _ want: DesiredResource) -> String {
    switch address.kind {
    case .model:
      "new model; sha256 \(short(want.attributes["content.sha256"])), registers version \(want.attributes["version"]?.description ?? "1")"
    case .environment: "new environment; conda file sha256 \(short(want.attributes["content.sha256"]))"
    case .inferenceConfig: "new inference config; source sha256 \(short(want.attributes["content.sha256"]))"
    case .computeTarget: "new compute target of type \(want.attributes["type"]?.plain ?? "?")"
    case .endpoint: "new endpoint on compute target '\(want.attributes["compute_target"]?.plain ?? "?")'"
    case .service: "new service on compute target '\(want.attributes["compute_target"]?.plain ?? "?")'"
    case .workspace: "new workspace"
    }
  }

  static func changeKind(
    _ address: ResourceAddress, _ changes: [FieldChange], _ want: DesiredResource, _ built: Set<String>
  ) -> (ActionKind, [String]) {
    let byPath = Dictionary(uniqueKeysWithValues: changes.map { ($0.path, $0) })
    switch address.kind {
    case .model:
      if let bytes = byPath["content.sha256"] {
        return (
          .register,
          [
            "model bytes changed: sha256 \(short(bytes.before)) → \(short(bytes.after)); registers version \(want.attributes["version"]?.description ?? "?")"
          ]
        )
      }
      return (.update, ["metadata changed: " + changes.map(\.path).joined(separator: ", ")])
    case .environment:
      if let conda = byPath["content.sha256"] {
        return (
          built.contains(address.name) ? .build : .register,
          ["conda file changed: sha256 \(short(conda.before)) → \(short(conda.after))"]
        )
      }
      return (.update, ["settings changed: " + changes.map(\.path).joined(separator: ", ")])
    case .inferenceConfig:
      if let code = byPath["content.sha256"], changes.count == 1 {
        return (.update, ["scoring code changed: sha256 \(short(code.before)) → \(short(code.after))"])
      }
      return (.update, ["settings changed: " + changes.map(\.path).joined(separator: ", ")])
    case .computeTarget:
      // Only a change between two written values: a setting added or removed may equal its default.
      let fixed = changes.filter { immutableClusterFields.contains($0.path) && $0.before != nil && $0.after != nil }
      if isManagedCluster(want.attributes), !fixed.isEmpty {
        return (.replace, fixed.map { "\($0.path) changed \(describe($0)) (Azure cannot change it on an existing cluster)" })
      }
      return (.provision, ["settings changed: " + changes.map(\.path).joined(separator: ", ")])
    case .workspace:
      return (.provision, ["settings changed: " + changes.map(\.path).joined(separator: ", ")])
    case .endpoint:
      // Traffic and auth change in place; the address callers use stays unless the endpoint moves.
      if let target = changes.first(where: { $0.path == "compute_target" }) {
        return (.replace, ["compute_target changed \(describe(target)) (cannot change in place)"])
      }
      return (.update, changes.map { "\($0.path) \(describe($0))" })
    case .service:
      let immutable = changes.filter { immutableServiceFields.contains($0.path) }
      if !immutable.isEmpty {
        return (.replace, immutable.map { "\($0.path) changed \(describe($0)) (cannot change in place)" })
      }
      return (.update, serviceReasons(changes))
    }
  }

  static func serviceReasons(_ changes: [FieldChange]) -> [String] {
    var reasons: [String] = []
    for change in changes where change.path != "revision" {
      switch change.path {
      case "models":
        reasons += modelReasons(change)
      case "code.sha256":
        reasons.append("scoring code changed: sha256 \(short(change.before)) → \(short(change.after))")
      case "environment.sha256":
        reasons.append("environment changed: conda sha256 \(short(change.before)) → \(short(change.after))")
      default:
        reasons.append("\(change.path) \(describe(change))")
      }
    }
    return reasons
  }

  /// "model diabetes-ridge version 1 → 2", "model extra-model added", … from a change of `name:version` lists.
  static func modelReasons(_ change: FieldChange) -> [String] {
    func versions(_ value: FieldValue?) -> [String: String] {
      guard case .list(let items)? = value else { return [:] }
      var result: [String: String] = [:]
      for case .string(let item) in items {
        let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
        result[parts[0]] = parts.count > 1 ? parts[1] : "?"
      }
      return result
    }
    let before = versions(change.before)
    let after = versions(change.after)
    var reasons: [String] = []
    for name in Set(before.keys).union(after.keys).sorted() {
      switch (before[name], after[name]) {
      case (let old?, let new?) where old != new: reasons.append("model \(name) version \(old) → \(new)")
      case (nil, let new?): reasons.append("model \(name) added (version \(new))")
      case (let old?, nil): reasons.append("model \(name) removed (was version \(old))")
      default: break
      }
    }
    return reasons.isEmpty ? ["models reordered"] : reasons
  }

  /// Compares what runs with what was recorded: a missing service is redeployed, a foreign revision replaced.
  static func drift(recorded: ResourceRecord, observation: Observation) -> (ActionKind?, String) {
    switch observation.health {
    case .missing:
      return (.deploy, "not running on its target (\(observation.message)); redeploys it")
    case .degraded:
      return (.update, "degraded on its target (\(observation.message)); restarts it")
    case .healthy, .progressing, .unknown:
      if let running = observation.revision, case .string(let expected)? = recorded.outputs["revision"], running != expected {
        return (.update, "running revision \(running) differs from recorded \(expected) (changed outside Berth)")
      }
      if case .string(let now)? = observation.attributes["key_fingerprint"],
        case .string(let recordedPrint)? = recorded.outputs["key_fingerprint"], now != recordedPrint
      {
        return (
          .update,
          "its keys changed outside Berth (fingerprint \(recordedPrint) → \(now)); apply keeps the new keys and records them"
        )
      }
      let routes = RouteDrift.changes(recorded: recorded.attributes, observed: observation.attributes)
      if !routes.isEmpty {
        let list = routes.map { "\($0.path) \(describe($0))" }.joined(separator: ", ")
        return (.update, "its gateway routes changed outside Berth (\(list)); apply restores the declared split")
      }
      return (nil, "")
    }
  }

  /// Settings of a cluster Berth creates (`kubernetes` with `resource_group`) that the cloud cannot change in place:
  /// a different value is a different cluster.
  static let immutableClusterFields: Set<String> = [
    "subscription_id", "resource_group", "cluster_name", "location", "vm_size", "resource_manager",
  ]

  static func isManagedCluster(_ attributes: Attributes) -> Bool {
    attributes["type"] == .string(ComputeType.kubernetes.rawValue) && attributes["resource_group"] != nil
  }

  /// What an observed compute target says, when it left its manifests: gone, or changed outside Berth.
  static func computeTargetDrift(_ observation: Observation) -> String? {
    switch observation.health {
    case .missing: "not found on its cloud (\(observation.message)); provision creates it again"
    case .degraded: "changed outside Berth (\(observation.message)); provision restores the declared settings"
    case .healthy, .progressing, .unknown: nil
    }
  }

  static func describe(_ change: FieldChange) -> String {
    "\(change.before?.description ?? "(none)") → \(change.after?.description ?? "(none)")"
  }

  /// `9f3c12ab…` from a digest value.
  static func short(_ value: FieldValue?) -> String {
    guard case .string(let text)? = value else { return "(none)" }
    return text.count > 12 ? String(text.prefix(12)) + "…" : text
  }
}

extension FieldValue {
  /// The value without quotes, for sentences.
  var plain: String {
    if case .string(let s) = self { return s }
    return description
  }
}
