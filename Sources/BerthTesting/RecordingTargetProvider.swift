import BerthModel
import BerthTargetAPI
import Foundation

/// A target provider that records every request and answers from a table, like Terraform's mock provider.
public final class RecordingTargetProvider: TargetProvider, @unchecked Sendable {
  public let type: ComputeType
  private let lock = NSLock()
  private var _applyRequests: [ApplyOperation] = []
  private var _observeRequests: [ObserveRequest] = []
  /// Service name → what `observe` reports; services not listed are reported healthy at their recorded revision.
  public var observations: [String: Observation] = [:]
  /// Service name → error `apply` throws for it.
  public var failures: [String: TargetError] = [:]
  /// Service name → what `validate` reports for it.
  public var validations: [String: [Diagnostic]] = [:]
  private var _validateRequests: [ValidateRequest] = []

  public init(type: ComputeType) {
    self.type = type
  }

  public var applyRequests: [ApplyOperation] { lock.withLock { _applyRequests } }
  public var observeRequests: [ObserveRequest] { lock.withLock { _observeRequests } }

  public var validateRequests: [ValidateRequest] { lock.withLock { _validateRequests } }

  public func validate(_ request: ValidateRequest) -> [Diagnostic] {
    lock.withLock { _validateRequests.append(request) }
    return validations[request.service.address.name] ?? []
  }

  public func observe(_ request: ObserveRequest) async throws -> ObserveResponse {
    lock.withLock { _observeRequests.append(request) }
    var result: [String: Observation] = [:]
    for service in request.services {
      if let scripted = observations[service.name] {
        result[service.name] = scripted
      } else if case .string(let revision)? = service.recordedOutputs["revision"] {
        result[service.name] = Observation(health: .healthy, revision: revision)
      }
    }
    return ObserveResponse(services: result, backendCalls: 1)
  }

  public func apply(_ request: ApplyRequest) async throws -> ApplyResponse {
    lock.withLock { _applyRequests.append(request.operation) }
    switch request.operation {
    case .deprovision(let name, _):
      return ApplyResponse(message: "forgot \(name)")
    case .provision(let name, _):
      return ApplyResponse(message: "provisioned \(name)")
    case .deploy(let deployment), .update(let deployment, _):
      if let error = failures[deployment.name] { throw error }
      return ApplyResponse(
        outputs: ["revision": .string(deployment.revision), "scoring_uri": .string("fake://\(deployment.name)/score")],
        message: "running revision \(deployment.revision)")
    case .delete(let name, _):
      if let error = failures[name] { throw error }
      return ApplyResponse(message: "deleted \(name)")
    case .publishEndpoint(let endpoint, _):
      if let error = failures[endpoint.name] { throw error }
      return ApplyResponse(
        outputs: ["scoring_uri": .string("fake://\(endpoint.name)/score")], message: "endpoint \(endpoint.name) published")
    case .deleteEndpoint(let name, _):
      if let error = failures[name] { throw error }
      return ApplyResponse(message: "deleted endpoint \(name)")
    }
  }
}
