/// Which deployment scores a request, and whether a copy goes to the mirror: pure, the dice passed in.
public struct TrafficSplit: Sendable, Hashable {
  /// Deployments with a positive share, in name order, with the running total of shares.
  private let cumulative: [(name: String, upTo: Int)]
  /// The total of the positive shares (100 for a valid configuration, 0 when everything is off).
  public let total: Int
  /// The mirror deployment and its percent, if any.
  public let mirror: (name: String, percent: Int)?

  /// Builds the split from `traffic` and `mirror_traffic` percentages.
  public init(traffic: [String: Int], mirrorTraffic: [String: Int] = [:]) {
    var running = 0
    var cumulative: [(name: String, upTo: Int)] = []
    for (name, percent) in traffic.sorted(by: { $0.key < $1.key }) where percent > 0 {
      running += percent
      cumulative.append((name, running))
    }
    self.cumulative = cumulative
    total = running
    mirror = mirrorTraffic.sorted(by: { $0.key < $1.key }).first { $0.value > 0 }.map { ($0.key, $0.value) }
  }

  /// The deployment for a roll in `0..<total`; `nil` when no deployment takes traffic.
  public func deployment(roll: Int) -> String? {
    guard total > 0 else { return nil }
    let point = ((roll % total) + total) % total
    return cumulative.first { point < $0.upTo }?.name
  }

  /// The mirror deployment for a roll in `0..<100`, when this request is one of its share.
  public func mirrorDeployment(roll: Int) -> String? {
    guard let mirror, roll < mirror.percent else { return nil }
    return mirror.name
  }

  public static func == (lhs: TrafficSplit, rhs: TrafficSplit) -> Bool {
    lhs.cumulative.map(\.name) == rhs.cumulative.map(\.name) && lhs.cumulative.map(\.upTo) == rhs.cumulative.map(\.upTo)
      && lhs.mirror?.name == rhs.mirror?.name && lhs.mirror?.percent == rhs.mirror?.percent
  }

  public func hash(into hasher: inout Hasher) {
    for entry in cumulative {
      hasher.combine(entry.name)
      hasher.combine(entry.upTo)
    }
  }
}
