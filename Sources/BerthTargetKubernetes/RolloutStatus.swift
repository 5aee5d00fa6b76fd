import BerthModel

/// Where a Deployment's rollout stands, read from its `status` as `kubectl rollout status` reads it.
public enum RolloutStatus: Hashable, Sendable {
  case complete(String)
  case progressing(String)
  case failed(String)

  public var message: String {
    switch self {
    case .complete(let m), .progressing(let m), .failed(let m): m
    }
  }

  /// Reads a live Deployment. Pure.
  public static func of(_ deployment: JSONValue) -> RolloutStatus {
    let generation = deployment["metadata"]?["generation"]?.intValue ?? 0
    let status = deployment["status"] ?? .object([])
    let observed = status["observedGeneration"]?.intValue ?? 0
    if observed < generation {
      return .progressing("waiting for the controller to see generation \(generation) (seen \(observed))")
    }
    let conditions = status["conditions"]?.arrayValue ?? []
    func condition(_ type: String) -> JSONValue? { conditions.first { $0["type"]?.stringValue == type } }
    if let progressing = condition("Progressing"), progressing["reason"]?.stringValue == "ProgressDeadlineExceeded" {
      return .failed("exceeded its progress deadline: \(progressing["message"]?.stringValue ?? "no progress")")
    }
    let desired = deployment["spec"]?["replicas"]?.intValue ?? 1
    let updated = status["updatedReplicas"]?.intValue ?? 0
    let replicas = status["replicas"]?.intValue ?? 0
    let available = status["availableReplicas"]?.intValue ?? 0
    if updated < desired {
      return .progressing("\(updated) of \(desired) replicas updated")
    }
    if replicas > updated {
      return .progressing("\(replicas - updated) old replicas pending termination")
    }
    if available < updated {
      return .progressing("\(available) of \(updated) updated replicas available")
    }
    return .complete("\(available) of \(desired) replicas available")
  }
}
