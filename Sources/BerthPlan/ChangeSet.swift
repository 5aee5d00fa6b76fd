import BerthModel

/// What differs for one resource, before ordering: the action it needs, field changes and reasons.
public struct ResourceChange: Hashable, Sendable {
  public var address: ResourceAddress
  public var kind: ActionKind
  public var changes: [FieldChange]
  public var reasons: [String]
  public var attributes: Attributes
  public var dependencies: [ResourceAddress]
  /// For deletes: what the resource depended on when it was recorded.
  public var recordedDependencies: [ResourceAddress]
  /// The address of the record this resource continues after a rename.
  public var movedFrom: ResourceAddress?

  public init(
    address: ResourceAddress, kind: ActionKind, changes: [FieldChange], reasons: [String], attributes: Attributes = [:],
    dependencies: [ResourceAddress] = [], recordedDependencies: [ResourceAddress] = [],
    movedFrom: ResourceAddress? = nil
  ) {
    self.movedFrom = movedFrom
    self.address = address
    self.kind = kind
    self.changes = changes
    self.reasons = reasons
    self.attributes = attributes
    self.dependencies = dependencies
    self.recordedDependencies = recordedDependencies
  }
}

/// Every resource that needs an action, plus those that do not.
public struct ChangeSet: Hashable, Sendable {
  public var changes: [ResourceChange]
  public var unchanged: [ResourceAddress]
  public var diagnostics: [Diagnostic]

  public init(changes: [ResourceChange], unchanged: [ResourceAddress], diagnostics: [Diagnostic]) {
    self.changes = changes
    self.unchanged = unchanged
    self.diagnostics = diagnostics
  }
}
