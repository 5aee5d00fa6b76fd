import BerthModel

/// What an action does to its resource.
public enum ActionKind: String, Hashable, Sendable, Codable, CaseIterable {
  case register
  case build
  case provision
  case deploy
  case update
  case replace
  case delete
  /// A rename (`metadata.previous_names`): the record takes the new name; nothing on the target changes.
  case move

  /// The one-glance symbol of plan output: `+` creates, `~` changes, `-/+` replaces, `-` deletes, `>` renames.
  public var symbol: String {
    switch self {
    case .register, .build, .provision, .deploy: "+"
    case .update: "~"
    case .replace: "-/+"
    case .delete: "-"
    case .move: ">"
    }
  }
}

/// One field's value before and after; nil means absent.
public struct FieldChange: Hashable, Sendable, Codable {
  public var path: String
  public var before: FieldValue?
  public var after: FieldValue?

  enum CodingKeys: String, CodingKey {
    case path, before, after
  }

  public init(path: String, before: FieldValue?, after: FieldValue?) {
    self.path = path
    self.before = before
    self.after = after
  }
}

/// One step of a plan: what happens to which resource, which fields change, and why.
public struct PlannedAction: Hashable, Sendable, Codable, Identifiable {
  public var kind: ActionKind
  public var address: ResourceAddress
  /// A sentence a person can check: "model bytes changed: sha256 ab12… → 9f3c…".
  public var reason: String
  public var changes: [FieldChange]
  /// Addresses whose actions must finish first.
  public var dependsOn: [ResourceAddress]
  /// The desired attributes to record when the action succeeds (empty for deletes).
  public var attributes: Attributes
  /// Dependencies to record with the resource.
  public var dependencies: [ResourceAddress]
  /// The recorded address this resource had before a rename; its record moves here when the action succeeds.
  public var movedFrom: ResourceAddress?
  /// For a service, what the performer does, in order (empty for other kinds and for renames).
  public var steps: [RolloutStep]

  public var id: ResourceAddress { address }

  enum CodingKeys: String, CodingKey {
    case kind, address, reason, changes
    case dependsOn = "depends_on"
    case attributes, dependencies
    case movedFrom = "moved_from"
    case steps
  }

  public init(
    kind: ActionKind, address: ResourceAddress, reason: String, changes: [FieldChange] = [], dependsOn: [ResourceAddress] = [],
    attributes: Attributes = [:], dependencies: [ResourceAddress] = [], movedFrom: ResourceAddress? = nil,
    steps: [RolloutStep] = []
  ) {
    self.movedFrom = movedFrom
    self.steps = steps
    self.kind = kind
    self.address = address
    self.reason = reason
    self.changes = changes
    self.dependsOn = dependsOn
    self.attributes = attributes
    self.dependencies = dependencies
  }
}

extension PlannedAction {
  /// Decodes a plan written before `steps` existed as having none; writes `steps` only when there are some.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    self.init(
      kind: try container.decode(ActionKind.self, forKey: .kind),
      address: try container.decode(ResourceAddress.self, forKey: .address),
      reason: try container.decode(String.self, forKey: .reason),
      changes: try container.decode([FieldChange].self, forKey: .changes),
      dependsOn: try container.decode([ResourceAddress].self, forKey: .dependsOn),
      attributes: try container.decode(Attributes.self, forKey: .attributes),
      dependencies: try container.decode([ResourceAddress].self, forKey: .dependencies),
      movedFrom: try container.decodeIfPresent(ResourceAddress.self, forKey: .movedFrom),
      steps: try container.decodeIfPresent([RolloutStep].self, forKey: .steps) ?? [])
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(kind, forKey: .kind)
    try container.encode(address, forKey: .address)
    try container.encode(reason, forKey: .reason)
    try container.encode(changes, forKey: .changes)
    try container.encode(dependsOn, forKey: .dependsOn)
    try container.encode(attributes, forKey: .attributes)
    try container.encode(dependencies, forKey: .dependencies)
    try container.encodeIfPresent(movedFrom, forKey: .movedFrom)
    if !steps.isEmpty { try container.encode(steps, forKey: .steps) }
  }
}
