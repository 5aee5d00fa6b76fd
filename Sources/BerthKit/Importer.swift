import BerthGraph
import BerthModel
import BerthPlan
import BerthState
import BerthTargetAPI
import Foundation

/// Adopts a service that already runs into the state (`berth import service/NAME INSTANCE`), like `terraform import`.
///
/// The service must be declared in the manifests and not recorded yet. Its compute target reads what runs
/// under `INSTANCE` (for the local target, the folder under the runtime directory; for Kubernetes, the
/// object name). When the running revision is the one the manifests describe, the record matches them
/// and the next plan has nothing to do; otherwise only the target and the running revision are recorded,
/// so the next plan shows every setting as a change and updates the service in place.
struct Importer: Sendable {
  let context: Reconciler.Context
  let now: @Sendable () -> Date

  func run(_ address: ResourceAddress, instance: String) async throws -> ImportResult {
    guard address.kind == .service else { throw ImportError.notImportable(address) }
    guard let resource = context.input.graph[address], case .service(let spec) = resource.spec else {
      throw ImportError.notDeclared(address)
    }
    let state = context.input.state
    guard state.resources[address] == nil else { throw ImportError.alreadyRecorded(address) }
    guard let target = context.input.graph.computeTarget(of: spec) else { throw ImportError.notDeclared(address) }
    let provider = try context.targets.provider(for: target.type)
    let response = try await provider.observe(
      ObserveRequest(
        computeTargetName: spec.computeTarget, computeTarget: target,
        services: [ObservedService(name: address.name, recordedOutputs: [ServiceInstance.outputKey: .string(instance)])]))
    guard let observation = response.services[address.name], observation.health != .missing else {
      throw ImportError.notRunning(
        address, instance: instance, target: spec.computeTarget,
        why: response.services[address.name]?.message ?? "the target reported nothing")
    }

    let desired = DesiredState.build(context.input).resources
    guard let want = desired[address] else { throw ImportError.notDeclared(address) }
    let matches = observation.revision != nil && want.attributes["revision"] == .string(observation.revision!)
    var attributes: Attributes = want.attributes
    if !matches {
      attributes = ["compute_target": .string(spec.computeTarget)]
      if let revision = observation.revision { attributes["revision"] = .string(revision) }
    }
    var outputs = observation.attributes
    outputs[ServiceInstance.outputKey] = .string(instance)
    if let revision = observation.revision { outputs["revision"] = .string(revision) }

    var recorded: [ResourceRecord] = []
    let targetAddress = ResourceAddress(.computeTarget, spec.computeTarget)
    if state.resources[targetAddress] == nil, let targetWant = desired[targetAddress] {
      // The target evidently exists: something runs on it.
      recorded.append(
        ResourceRecord(
          address: targetAddress, attributes: targetWant.attributes, dependencies: targetWant.dependencies, updatedAt: now()))
    }
    recorded.append(
      ResourceRecord(
        address: address, attributes: attributes, outputs: outputs, dependencies: want.dependencies, updatedAt: now()))
    for record in recorded { try await context.store.importRecord(record) }
    return ImportResult(address: address, records: recorded, observation: observation, matchesManifests: matches)
  }
}

/// What `berth import` recorded.
public struct ImportResult: Sendable {
  public var address: ResourceAddress
  /// The service's record, preceded by its compute target's when that was not recorded yet.
  public var records: [ResourceRecord]
  public var observation: Observation
  /// Whether the running revision is the one the manifests describe (the next plan is then empty for it).
  public var matchesManifests: Bool
}

/// Why an import did not happen.
public enum ImportError: Error, Equatable, CustomStringConvertible {
  case notImportable(ResourceAddress)
  case notDeclared(ResourceAddress)
  case alreadyRecorded(ResourceAddress)
  case notRunning(ResourceAddress, instance: String, target: String, why: String)

  public var description: String {
    switch self {
    case .notImportable(let address):
      "\(address) cannot be imported: only services run somewhere to adopt; models, environments, inference configs and compute targets are recorded by `berth apply` from the repository"
    case .notDeclared(let address):
      "\(address) is not declared in the manifests\n  hint: write its manifest first; import adopts what runs for a declared service"
    case .alreadyRecorded(let address):
      "\(address) is already in the state\n  hint: `berth state rm \(address)` first to adopt something else under that name"
    case .notRunning(let address, let instance, let target, let why):
      "nothing named '\(instance)' runs on compute target '\(target)' for \(address): \(why)"
    }
  }
}

extension Reconciler {
  /// Imports under the caller's lock; `context` comes from `prepare(…, observe: false)`.
  public func importService(_ address: ResourceAddress, instance: String, context: Context) async throws -> ImportResult {
    try await Importer(context: context, now: now).run(address, instance: instance)
  }
}
