/// The kinds of resource a manifest can declare, in the order they are usually written.
public enum ResourceKind: String, CaseIterable, Hashable, Sendable, Codable, Comparable {
  case workspace = "Workspace"
  case model = "Model"
  case environment = "Environment"
  case inferenceConfig = "InferenceConfig"
  case computeTarget = "ComputeTarget"
  case endpoint = "Endpoint"
  case service = "Service"

  /// The lowercase form used in addresses: `service/diabetes-local`.
  public var addressPrefix: String { rawValue.lowercased() }

  /// Accepts the lowercase prefix (`inferenceconfig`) or the kind's own spelling (`InferenceConfig`).
  public init?(addressPrefix: String) {
    guard let kind = Self.allCases.first(where: { $0.addressPrefix == addressPrefix || $0.rawValue == addressPrefix }) else {
      return nil
    }
    self = kind
  }

  public static func < (lhs: ResourceKind, rhs: ResourceKind) -> Bool {
    allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
  }
}
