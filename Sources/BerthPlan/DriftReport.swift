import BerthModel
import BerthState
import BerthTargetAPI

/// What `berth drift` reports: resources changed or gone outside Berth, and manifest changes not yet applied.
public struct DriftReport: Hashable, Sendable, Codable {
  public static let formatVersion = 1

  /// A resource whose running state no longer matches what Berth recorded.
  public struct Drifted: Hashable, Sendable, Codable {
    public var address: ResourceAddress
    public var health: Health
    public var message: String
    /// Recorded → observed, per field that differs.
    public var changes: [FieldChange]
  }

  /// A change in the manifests (or the files they name) that no apply has made yet.
  public struct Pending: Hashable, Sendable, Codable {
    public var address: ResourceAddress
    public var kind: ActionKind
    public var reason: String
    public var changes: [FieldChange]
  }

  public var formatVersion: Int
  public var drifted: [Drifted]
  public var pending: [Pending]

  enum CodingKeys: String, CodingKey {
    case formatVersion = "format_version"
    case drifted, pending
  }

  public var isClean: Bool { drifted.isEmpty && pending.isEmpty }

  /// Compares observations with records, and plans the manifests against records alone.
  ///
  /// Only what a plan would repair counts as drift (health, the running revision, the keys' fingerprint), so a scheduled
  /// check does not alarm forever about a harmless difference such as a new process id.
  public static func make(_ input: PlanInput) -> DriftReport {
    var drifted: [Drifted] = []
    for (address, observation) in input.observations.sorted(by: { $0.key < $1.key }) {
      guard let record = input.state.resources[address] else { continue }
      var changes: [FieldChange] = []
      let recordedRevision = record.outputs["revision"]
      if let running = observation.revision, recordedRevision != .string(running) {
        changes.append(FieldChange(path: "revision", before: recordedRevision, after: .string(running)))
      }
      // A key regenerated outside Berth: only fingerprints, never the keys, are recorded or shown.
      let recordedKeys = record.outputs["key_fingerprint"]
      if let observedKeys = observation.attributes["key_fingerprint"], let recordedKeys, observedKeys != recordedKeys {
        changes.append(FieldChange(path: "key_fingerprint", before: recordedKeys, after: observedKeys))
      }
      // Weights changed in the gateway's route table by hand (kubernetes: the routes ConfigMap).
      changes += RouteDrift.changes(recorded: record.attributes, observed: observation.attributes)
      let unhealthy = observation.health == .missing || observation.health == .degraded
      if unhealthy || !changes.isEmpty {
        drifted.append(Drifted(address: address, health: observation.health, message: observation.message, changes: changes))
      }
    }
    var recordedOnly = input
    recordedOnly.observations = [:]
    let pending = Planner.plan(recordedOnly).actions.map {
      Pending(address: $0.address, kind: $0.kind, reason: $0.reason, changes: $0.changes)
    }
    return DriftReport(formatVersion: formatVersion, drifted: drifted, pending: pending)
  }

  public init(formatVersion: Int = DriftReport.formatVersion, drifted: [Drifted], pending: [Pending]) {
    self.formatVersion = formatVersion
    self.drifted = drifted
    self.pending = pending
  }
}

/// The human form of a drift report.
public enum DriftTextRenderer {
  public static func render(_ report: DriftReport) -> String {
    guard !report.isClean else { return "No drift. What runs matches the recorded state, and the manifests are applied.\n" }
    var lines = [
      "Drift: \(report.drifted.count) resource\(report.drifted.count == 1 ? "" : "s") changed outside Berth, "
        + "\(report.pending.count) manifest change\(report.pending.count == 1 ? "" : "s") not applied.", "",
    ]
    if !report.drifted.isEmpty {
      lines.append("Changed outside Berth:")
      for item in report.drifted {
        lines.append("  ! \(item.address)  \(item.health.rawValue): \(item.message)")
        for change in item.changes {
          lines.append(
            "      \(change.path): recorded \(PlanTextRenderer.shown(change.before, path: change.path)), "
              + "observed \(PlanTextRenderer.shown(change.after, path: change.path))")
        }
      }
      lines.append("")
    }
    if !report.pending.isEmpty {
      lines.append("Not yet applied:")
      for item in report.pending {
        lines.append("  \(item.kind.symbol) \(item.address) \(item.kind.rawValue): \(item.reason)")
      }
      lines.append("")
    }
    lines.append("Run `berth plan` to see the repair, `berth apply` to make it.")
    return lines.joined(separator: "\n") + "\n"
  }
}
