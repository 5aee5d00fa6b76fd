import BerthModel

/// An endpoint's traffic split, judged on its own: the percentages and the mirror.
///
/// Rules that need the services it names (do they exist, where do they run) live in `BerthGraph`.
extension SettingsRules {
  /// The largest share of live requests a mirror may copy (as Azure ML's online endpoints allow).
  public static let mirrorTrafficLimit = 50

  static func checkEndpoint(_ resource: Resource, _ spec: EndpointSpec) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    let total = spec.traffic.values.reduce(0, +)
    if !spec.traffic.isEmpty, total != 100, total != 0 {
      let split = spec.traffic.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
      diagnostics.append(
        .error(
          "'traffic' of endpoint '\(resource.address.name)' sums to \(total) %, not 100 (\(split))",
          at: resource.location(of: "traffic"),
          hint: "the percentages of live traffic must add up to 100, or all be 0 while no service takes traffic"))
    }
    let mirrors = spec.mirrorTraffic.keys.sorted()
    for name in mirrors.dropFirst() {
      diagnostics.append(
        .error(
          "'mirror_traffic' of endpoint '\(resource.address.name)' names more than one service ('\(mirrors[0])' and '\(name)')",
          at: resource.location(of: "mirror_traffic.\(name)"),
          hint: "an endpoint mirrors to one service at a time; keep one entry"))
    }
    for name in mirrors {
      let percent = spec.mirrorTraffic[name]!
      if percent > mirrorTrafficLimit {
        diagnostics.append(
          .error(
            "'mirror_traffic.\(name)' is \(percent) %, more than the \(mirrorTrafficLimit) % an endpoint may mirror",
            at: resource.location(of: "mirror_traffic.\(name)"),
            hint: "mirror at most \(mirrorTrafficLimit) % of live requests; shift live traffic with 'traffic' instead"))
      }
      if let live = spec.traffic[name], live > 0 {
        diagnostics.append(
          .error(
            "service '\(name)' takes \(live) % of live traffic and cannot also be the mirror of endpoint '\(resource.address.name)'",
            at: resource.location(of: "mirror_traffic.\(name)"),
            hint: "mirror a service whose 'traffic' is 0, or remove it from 'mirror_traffic'"))
      }
    }
    return diagnostics
  }
}
