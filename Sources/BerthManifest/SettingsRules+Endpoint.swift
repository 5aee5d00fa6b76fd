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
    if let address = spec.listenAddress {
      if !isIPAddress(address) {
        diagnostics.append(
          .error(
            "'listen_address' of endpoint '\(resource.address.name)' must be an IP address, found '\(address)'",
            at: resource.location(of: "listen_address"),
            hint: "127.0.0.1 (this machine only, the default), 0.0.0.0 (every interface) or one interface's address"))
      } else if spec.authMode == .none, !isLoopback(address) {
        diagnostics.append(
          .warning(
            "endpoint '\(resource.address.name)' listens on \(address) with 'auth_mode: none': anyone who reaches this machine may score",
            at: resource.location(of: "listen_address"),
            hint: "use auth_mode: key, or listen on 127.0.0.1"))
      }
    }
    return diagnostics
  }

  /// A dotted IPv4 address, or an IPv6 address in colon notation (checked loosely: hex groups and colons).
  static func isIPAddress(_ text: String) -> Bool {
    let octets = text.split(separator: ".", omittingEmptySubsequences: false)
    if octets.count == 4, !text.contains(":") {
      return octets.allSatisfy { octet in
        !octet.isEmpty && octet.count <= 3 && octet.allSatisfy(\.isASCII) && octet.allSatisfy(\.isNumber)
          && Int(octet).map { $0 <= 255 } == true
      }
    }
    let colons = text.filter { $0 == ":" }.count
    return colons >= 2 && colons <= 7 && text.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
  }

  static func isLoopback(_ address: String) -> Bool { address.hasPrefix("127.") || address == "::1" }
}
