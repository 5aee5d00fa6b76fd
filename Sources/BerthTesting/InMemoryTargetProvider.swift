import BerthModel
import BerthTargetAPI
import Foundation

/// A compute target in memory: what is deployed is remembered, so it keeps the whole provider contract.
///
/// The stateful fake of the provider conformance suite (`RecordingTargetProvider` answers from a table instead).
/// Revisions listed in `failingRevisions` fail to start, the way a crashing `init()` does on a real target.
public final class InMemoryTargetProvider: TargetProvider, @unchecked Sendable {
  public let type: ComputeType
  private let lock = NSLock()
  private var running: [String: Observation] = [:]
  private var endpoints: [String: Observation] = [:]
  private let failingRevisions: Set<String>

  public init(type: ComputeType = .local, failingRevisions: Set<String> = []) {
    self.type = type
    self.failingRevisions = failingRevisions
  }

  public func validate(_ request: ValidateRequest) -> [Diagnostic] { [] }

  public func observe(_ request: ObserveRequest) async throws -> ObserveResponse {
    let services = lock.withLock {
      request.services.reduce(into: [String: Observation]()) { result, service in
        result[service.name] = running[service.instance] ?? Observation(health: .missing, message: "not deployed")
      }
    }
    let endpoints = lock.withLock {
      request.endpoints.reduce(into: [String: Observation]()) { result, endpoint in
        result[endpoint.name] = self.endpoints[endpoint.name] ?? Observation(health: .missing, message: "not published")
      }
    }
    return ObserveResponse(services: services, endpoints: endpoints, backendCalls: 1)
  }

  public func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
    switch request.operation {
    case .deprovision(let name, _):
      return ApplyResponse(message: "forgot \(name)")
    case .provision(let name, _):
      return ApplyResponse(message: "provisioned \(name)")
    case .deploy(let deployment), .update(let deployment, _):
      if failingRevisions.contains(deployment.revision) {
        throw TargetError(
          "revision \(deployment.revision) did not become healthy", logTail: ["init() failed: revision is marked failing"])
      }
      lock.withLock { running[deployment.instance] = Observation(health: .healthy, revision: deployment.revision) }
      return ApplyResponse(
        outputs: [
          "revision": .string(deployment.revision), ServiceInstance.outputKey: .string(deployment.instance),
          "scoring_uri": .string("memory://\(deployment.instance)/score"),
        ], message: "running revision \(deployment.revision)")
    case .delete(let name, let previous):
      _ = lock.withLock { running.removeValue(forKey: ServiceInstance.name(service: name, outputs: previous)) }
      return ApplyResponse(message: "deleted \(name)")
    case .publishEndpoint(let endpoint, _):
      lock.withLock { endpoints[endpoint.name] = Observation(health: .healthy, message: "published") }
      return ApplyResponse(
        outputs: ["scoring_uri": .string("memory://\(endpoint.name)/score")], message: "endpoint \(endpoint.name) published")
    case .deleteEndpoint(let name, _):
      _ = lock.withLock { endpoints.removeValue(forKey: name) }
      return ApplyResponse(message: "deleted endpoint \(name)")
    }
  }

  /// Changes a running service behind Berth's back, as a person with access to the target could.
  public func tamper(instance: String, health: Health = .degraded, message: String = "changed outside Berth") {
    lock.withLock {
      guard var observation = running[instance] else { return }
      observation.health = health
      observation.message = message
      running[instance] = observation
    }
  }
}
