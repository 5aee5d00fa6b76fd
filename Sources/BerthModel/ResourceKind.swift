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
  public var addressPrefix: String {
    // Spelled out rather than lower-cased on each call: every address printed or stored goes through here.
    switch self {
    case .workspace: "workspace"
    case .model: "model"
    case .environment: "environment"
    case .inferenceConfig: "inferenceconfig"
    case .computeTarget: "computetarget"
    case .endpoint: "endpoint"
    case .service: "service"
    }
  }

  /// The position in `allCases`, the order kinds sort in.
  private var rank: Int {
    switch self {
    case .workspace: 0
    case .model: 1
    case .environment: 2
    case .inferenceConfig: 3
    case .computeTarget: 4
    case .endpoint: 5
    case .service: 6
    }
  }

  /// Accepts the lowercase prefix (`inferenceconfig`) or the kind's own spelling (`InferenceConfig`).
  public init?(addressPrefix: String) {
    guard let kind = Self.allCases.first(where: { $0.addressPrefix == addressPrefix || $0.rawValue == addressPrefix }) else {
      return nil
    }
    self = kind
  }

  public static func < (lhs: ResourceKind, rhs: ResourceKind) -> Bool {
    lhs.rank < rhs.rank
  }
}
