import BerthModel
import BerthState
import BerthTargetAPI
import Foundation

/// One deployed service as `berth services` shows it: where to call it, what it runs, how it is doing.
public struct ServiceReport: Sendable {
  public var name: String
  public var computeTarget: String
  /// The endpoint the service is a deployment of, as recorded; nil when it has its own port.
  public var endpoint: String?
  public var revision: String?
  public var health: Health
  public var message: String
  public var scoringURI: String?
  public var swaggerURI: String?
  public var models: [String]
  public var logFile: String?
  public var outputs: Attributes
}

extension Reconciler {
  /// Reports on every recorded service, observing each compute target once.
  public func services(path: String, overlays: [String] = []) async throws -> [ServiceReport] {
    let validation = Validation.run(path: path, overlays: overlays)
    let workspace = try Workspace.resolve(validation.manifests.workspace, root: validation.manifests.root)
    let store = try openState(workspace.state, .read)
    let state = try await store.snapshot()
    let (observations, _) = await Observer(targets: targets(workspace)).observe(graph: validation.graph, state: state)
    return state.resources.filter { $0.key.kind == .service }.sorted { $0.key < $1.key }.map { address, record in
      func text(_ value: FieldValue?) -> String? { if case .string(let s)? = value { s } else { nil } }
      let observation = observations[address]
      var models: [String] = []
      if case .list(let items)? = record.attributes["models"] {
        for case .string(let item) in items { models.append(item) }
      }
      return ServiceReport(
        name: address.name, computeTarget: text(record.attributes["compute_target"]) ?? "?",
        endpoint: text(record.attributes["endpoint"]),
        revision: observation?.revision ?? text(record.outputs["revision"]), health: observation?.health ?? .unknown,
        message: observation?.message ?? "not observed", scoringURI: text(record.outputs["scoring_uri"]),
        swaggerURI: text(record.outputs["swagger_uri"]), models: models, logFile: text(record.outputs["log_file"]),
        outputs: record.outputs)
    }
  }
}

/// Why `berth logs` cannot print a service's log.
public struct LogsError: Error, CustomStringConvertible, Equatable {
  public var description: String
}

extension Reconciler {
  /// The last `tail` lines of a service's replicas' logs, read through its compute target (`berth logs` of a
  /// service without a local log file). Reads state and the target, changes nothing.
  public func serviceLogs(path: String, overlays: [String] = [], service: String, tail: Int) async throws -> [String] {
    let validation = Validation.run(path: path, overlays: overlays)
    let workspace = try Workspace.resolve(validation.manifests.workspace, root: validation.manifests.root)
    let state = try await openState(workspace.state, .read).snapshot()
    let address = ResourceAddress(.service, service)
    guard let record = state.resources[address], case .string(let targetName)? = record.attributes["compute_target"] else {
      throw LogsError(description: "service '\(service)' is not deployed")
    }
    guard let target = Observer.computeTarget(targetName, graph: validation.graph, state: state) else {
      throw LogsError(description: "compute target '\(targetName)' of service '\(service)' is unknown")
    }
    guard let reader = targets(workspace).providers[target.type] as? any ServiceLogReading else {
      throw LogsError(
        description: "service '\(service)' records no log file and its \(target.type.rawValue) target cannot read logs")
    }
    return try await reader.logs(
      LogRequest(
        computeTarget: target, service: ObservedService(name: service, recordedOutputs: record.outputs), tail: tail))
  }
}
