import BerthModel

/// Traffic weights a gateway serves (`routes.SERVICE` in an endpoint's observation) against the declared split
/// recorded with the endpoint (`traffic.SERVICE`). Pure.
///
/// Compared only when the gateway routes to exactly the declared services: while a deployment is not running
/// yet its share goes to the others, which is not drift.
enum RouteDrift {
  static func changes(recorded: Attributes, observed: Attributes) -> [FieldChange] {
    let routes = observed.filter { $0.key.hasPrefix("routes.") }
    guard !routes.isEmpty else { return [] }
    let declared = recorded.filter { $0.key.hasPrefix("traffic.") }
    let routed = Set(routes.keys.map { String($0.dropFirst("routes.".count)) })
    guard routed == Set(declared.keys.map { String($0.dropFirst("traffic.".count)) }) else { return [] }
    return routed.sorted().compactMap { service in
      let before = declared["traffic.\(service)"]
      let after = routes["routes.\(service)"]
      return before == after ? nil : FieldChange(path: "traffic.\(service)", before: before, after: after)
    }
  }
}
