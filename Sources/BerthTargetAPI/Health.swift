/// How a deployed thing is doing, ranked from best to worst as Argo CD ranks health.
public enum Health: String, Hashable, Sendable, Codable, Comparable, CaseIterable {
  case healthy = "Healthy"
  case progressing = "Progressing"
  case degraded = "Degraded"
  case missing = "Missing"
  case unknown = "Unknown"

  private var rank: Int { Self.allCases.firstIndex(of: self)! }

  public static func < (lhs: Health, rhs: Health) -> Bool { lhs.rank < rhs.rank }
}
