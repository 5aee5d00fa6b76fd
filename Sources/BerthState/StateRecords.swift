import BerthModel
import Foundation

/// What Berth recorded about one resource after it last changed it.
public struct ResourceRecord: Hashable, Sendable, Codable {
  public var address: ResourceAddress
  /// The desired attributes that were applied (flattened spec plus content digests).
  public var attributes: Attributes
  /// What the target reported back: model version, pid, port, revision, scoring URI, image digest…
  public var outputs: Attributes
  /// What this resource depended on when applied; deletes run in reverse of these edges.
  public var dependencies: [ResourceAddress]
  public var updatedAt: Date

  public init(
    address: ResourceAddress, attributes: Attributes, outputs: Attributes = [:], dependencies: [ResourceAddress] = [],
    updatedAt: Date
  ) {
    self.address = address
    self.attributes = attributes
    self.outputs = outputs
    self.dependencies = dependencies
    self.updatedAt = updatedAt
  }
}

/// One registered version of a model: its bytes live in the model store under their digest.
public struct ModelVersionRecord: Hashable, Sendable, Codable {
  public var name: String
  public var version: Int
  /// sha256 over the model's files in a deterministic order (hex).
  public var sha256: String
  /// Folder in the model store holding `<basename>` of the registered file or folder.
  public var storePath: String
  /// The registered file or folder's name, kept under `storePath`.
  public var basename: String
  public var sizeBytes: Int64
  public var fileCount: Int
  public var description: String?
  public var tags: [String: String]
  public var registeredAt: Date

  public init(
    name: String, version: Int, sha256: String, storePath: String, basename: String, sizeBytes: Int64, fileCount: Int,
    description: String? = nil, tags: [String: String] = [:], registeredAt: Date
  ) {
    self.name = name
    self.version = version
    self.sha256 = sha256
    self.storePath = storePath
    self.basename = basename
    self.sizeBytes = sizeBytes
    self.fileCount = fileCount
    self.description = description
    self.tags = tags
    self.registeredAt = registeredAt
  }
}

/// Who holds the state lock, for what, since when.
public struct LockInfo: Hashable, Sendable, Codable, CustomStringConvertible {
  public var id: String
  public var who: String
  public var host: String
  public var pid: Int32
  public var operation: String
  public var since: Date

  public init(id: String, who: String, host: String, pid: Int32, operation: String, since: Date) {
    self.id = id
    self.who = who
    self.host = host
    self.pid = pid
    self.operation = operation
    self.since = since
  }

  public var description: String {
    "lock \(id) held by \(who)@\(host) (pid \(pid)) for '\(operation)' since \(ISO8601DateFormatter().string(from: since))"
  }
}

/// How one planned action ended.
public enum ActionOutcome: String, Hashable, Sendable, Codable {
  case succeeded
  case failed
  case skipped
}

/// A change to a resource record made together with an action's completion, in one transaction.
public enum RecordChange: Hashable, Sendable {
  case put(ResourceRecord)
  case remove(ResourceAddress)
  /// A rename (`metadata.previous_names`): the record at `from` is removed and `record` put in one transaction.
  /// A renamed model's registered versions move to the new name with it.
  case move(from: ResourceAddress, to: ResourceRecord)
  case none
}

/// An action that finished, written the moment it finishes.
public struct ActionCompletion: Hashable, Sendable {
  public var applyID: Int64
  public var address: ResourceAddress
  public var action: String
  public var outcome: ActionOutcome
  public var message: String
  public var change: RecordChange
  /// A model version registered by this action.
  public var modelVersion: ModelVersionRecord?
  /// Model versions removed by this action (a deleted model).
  public var removedModel: String?
  public var finishedAt: Date

  public init(
    applyID: Int64, address: ResourceAddress, action: String, outcome: ActionOutcome, message: String,
    change: RecordChange = .none, modelVersion: ModelVersionRecord? = nil, removedModel: String? = nil, finishedAt: Date
  ) {
    self.applyID = applyID
    self.address = address
    self.action = action
    self.outcome = outcome
    self.message = message
    self.change = change
    self.modelVersion = modelVersion
    self.removedModel = removedModel
    self.finishedAt = finishedAt
  }
}

/// One apply (or destroy) run in the history.
public struct ApplyRecord: Hashable, Sendable, Codable {
  public var id: Int64
  public var operation: String
  public var who: String
  public var planDigest: String
  public var startedAt: Date
  public var finishedAt: Date?
  /// `running`, `succeeded`, `failed` (some action failed) — `running` after a crash.
  public var result: String
  public var actions: [ActionRecord]

  public init(
    id: Int64, operation: String, who: String, planDigest: String, startedAt: Date, finishedAt: Date?, result: String,
    actions: [ActionRecord]
  ) {
    self.id = id
    self.operation = operation
    self.who = who
    self.planDigest = planDigest
    self.startedAt = startedAt
    self.finishedAt = finishedAt
    self.result = result
    self.actions = actions
  }
}

/// One action of an apply in the history.
public struct ActionRecord: Hashable, Sendable, Codable {
  public var address: ResourceAddress
  public var action: String
  public var outcome: ActionOutcome
  public var message: String
  public var finishedAt: Date

  public init(address: ResourceAddress, action: String, outcome: ActionOutcome, message: String, finishedAt: Date) {
    self.address = address
    self.action = action
    self.outcome = outcome
    self.message = message
    self.finishedAt = finishedAt
  }
}

/// Everything recorded, read in one consistent snapshot.
public struct StateSnapshot: Hashable, Sendable {
  public var resources: [ResourceAddress: ResourceRecord]
  /// Model name → versions, oldest first.
  public var modelVersions: [String: [ModelVersionRecord]]
  /// Increases with every write; a saved plan refuses to apply when it changed.
  public var serial: Int64

  public init(
    resources: [ResourceAddress: ResourceRecord] = [:], modelVersions: [String: [ModelVersionRecord]] = [:], serial: Int64 = 0
  ) {
    self.resources = resources
    self.modelVersions = modelVersions
    self.serial = serial
  }

  public func latestVersion(of model: String) -> ModelVersionRecord? { modelVersions[model]?.last }
}
