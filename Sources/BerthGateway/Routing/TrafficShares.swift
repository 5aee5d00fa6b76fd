/// Traffic percentages over the deployments that run. Pure.
public enum TrafficShares {
  /// Percentages scaled to sum to 100 (largest remainders get the rounding), or unchanged when they already sum
  /// to 100 or are all 0. While a deployment named in `traffic` does not run yet, its share goes to the running
  /// ones in proportion, so a gateway routes only to servers that exist.
  public static func renormalized(_ traffic: [String: Int]) -> [String: Int] {
    let sum = traffic.values.reduce(0, +)
    guard sum != 100, sum > 0 else { return traffic }
    let names = traffic.keys.sorted()
    var result: [String: Int] = [:]
    var remainders: [(name: String, remainder: Int)] = []
    for name in names {
      let scaled = traffic[name]! * 100
      result[name] = scaled / sum
      remainders.append((name, scaled % sum))
    }
    var missing = 100 - result.values.reduce(0, +)
    for entry in remainders.sorted(by: { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.name < $1.name }) {
      guard missing > 0 else { break }
      result[entry.name, default: 0] += 1
      missing -= 1
    }
    return result
  }
}
