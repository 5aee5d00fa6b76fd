import BerthModel

/// What a plan was computed from; a saved plan refuses to apply when either changed.
public struct PlanFingerprint: Hashable, Sendable, Codable {
  /// The state's write serial when the plan was made.
  public var stateSerial: Int64
  /// A digest of every manifest file and every content digest the plan used.
  public var inputsDigest: String

  enum CodingKeys: String, CodingKey {
    case stateSerial = "state_serial"
    case inputsDigest = "inputs_digest"
  }

  public init(stateSerial: Int64, inputsDigest: String) {
    self.stateSerial = stateSerial
    self.inputsDigest = inputsDigest
  }
}

/// Which manifests a plan was made from, as the command line named them.
public struct PlanSource: Hashable, Sendable, Codable {
  public var dir: String
  public var overlays: [String]

  public init(dir: String, overlays: [String] = []) {
    self.dir = dir
    self.overlays = overlays
  }
}

/// An ordered, parallel-ready set of actions, and the problems found while planning.
public struct Plan: Hashable, Sendable, Codable {
  public static let formatVersion = 1

  public var formatVersion: Int
  /// Actions in an order that respects `dependsOn` (dependencies first).
  public var actions: [PlannedAction]
  /// Resources with nothing to do.
  public var unchanged: [ResourceAddress]
  public var diagnostics: [Diagnostic]
  public var fingerprint: PlanFingerprint
  /// `apply` or `destroy`.
  public var operation: String
  /// The manifests it was made from; `berth apply PLANFILE` reads the same ones.
  public var source: PlanSource?

  enum CodingKeys: String, CodingKey {
    case formatVersion = "format_version"
    case operation, fingerprint, actions, unchanged, diagnostics, summary, source
  }

  public init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    formatVersion = try container.decode(Int.self, forKey: .formatVersion)
    guard formatVersion == Self.formatVersion else {
      throw DecodingError.dataCorruptedError(
        forKey: .formatVersion, in: container,
        debugDescription: "plan format \(formatVersion) is not supported (expected \(Self.formatVersion))")
    }
    operation = try container.decode(String.self, forKey: .operation)
    fingerprint = try container.decode(PlanFingerprint.self, forKey: .fingerprint)
    actions = try container.decode([PlannedAction].self, forKey: .actions)
    unchanged = try container.decode([ResourceAddress].self, forKey: .unchanged)
    diagnostics = try container.decode([Diagnostic].self, forKey: .diagnostics)
    source = try container.decodeIfPresent(PlanSource.self, forKey: .source)
  }

  /// Encodes the plan and, for readers, its per-kind counts (ignored when decoding).
  public func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(formatVersion, forKey: .formatVersion)
    try container.encode(operation, forKey: .operation)
    try container.encode(fingerprint, forKey: .fingerprint)
    try container.encode(actions, forKey: .actions)
    try container.encode(unchanged, forKey: .unchanged)
    try container.encode(diagnostics, forKey: .diagnostics)
    try container.encodeIfPresent(source, forKey: .source)
    try container.encode(Dictionary(uniqueKeysWithValues: summary.map { ($0.key.rawValue, $0.value) }), forKey: .summary)
  }

  public init(
    actions: [PlannedAction], unchanged: [ResourceAddress], diagnostics: [Diagnostic], fingerprint: PlanFingerprint,
    operation: String = "apply"
  ) {
    self.formatVersion = Self.formatVersion
    self.actions = actions
    self.unchanged = unchanged
    self.diagnostics = diagnostics
    self.fingerprint = fingerprint
    self.operation = operation
  }

  public var hasChanges: Bool { !actions.isEmpty }

  /// Count of actions per kind, every kind present.
  public var summary: [ActionKind: Int] {
    var counts = Dictionary(uniqueKeysWithValues: ActionKind.allCases.map { ($0, 0) })
    for action in actions { counts[action.kind, default: 0] += 1 }
    return counts
  }

  public func action(for address: ResourceAddress) -> PlannedAction? {
    actions.first { $0.address == address }
  }
}
