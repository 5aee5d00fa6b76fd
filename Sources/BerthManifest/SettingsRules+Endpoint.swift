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
    diagnostics += checkClusterSettings(resource, spec.cluster)
    return diagnostics
  }

  /// The exposure settings of a cluster endpoint, judged on their own (which target they need is `BerthGraph`'s).
  static func checkClusterSettings(_ resource: Resource, _ cluster: ClusterEndpointSettings) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    let name = resource.address.name
    if cluster.exposure == .ingress, cluster.host == nil {
      diagnostics.append(
        .error(
          "endpoint '\(name)' is exposed through an Ingress but has no 'host'", at: resource.location(of: "exposure"),
          hint: "add 'host: scoring.example.com', the name clients call"))
    }
    if cluster.exposure == nil || cluster.exposure == .cluster {
      for field in ["ingress_class", "host", "tls_secret", "tls_cert_env", "tls_key_env"]
      where clusterField(field, of: cluster) != nil {
        diagnostics.append(
          .error(
            "'\(field)' of endpoint '\(name)' needs 'exposure: ingress' or 'exposure: load_balancer'",
            at: resource.location(of: field), hint: "an endpoint exposed in the cluster only has no external address"))
      }
    }
    if cluster.exposure == .loadBalancer, cluster.ingressClass != nil {
      diagnostics.append(
        .error(
          "'ingress_class' of endpoint '\(name)' applies to 'exposure: ingress' only",
          at: resource.location(of: "ingress_class"), hint: "remove it, or expose the endpoint through an Ingress"))
    }
    if (cluster.tlsCertEnv == nil) != (cluster.tlsKeyEnv == nil) {
      let missing = cluster.tlsCertEnv == nil ? "tls_cert_env" : "tls_key_env"
      let present = cluster.tlsCertEnv == nil ? "tls_key_env" : "tls_cert_env"
      diagnostics.append(
        .error(
          "'\(present)' of endpoint '\(name)' needs '\(missing)' too", at: resource.location(of: present),
          hint: "a TLS Secret needs both the certificate and its private key"))
    }
    if cluster.tlsSecret != nil, cluster.tlsCertEnv != nil || cluster.tlsKeyEnv != nil {
      diagnostics.append(
        .error(
          "endpoint '\(name)' names a TLS Secret and PEM variables; choose one", at: resource.location(of: "tls_secret"),
          hint: "either 'tls_secret' (a Secret that exists) or 'tls_cert_env' + 'tls_key_env' (Berth creates it)"))
    }
    if cluster.exposure == .loadBalancer, cluster.tlsSecret != nil || cluster.tlsCertEnv != nil {
      diagnostics.append(
        .error(
          "TLS of endpoint '\(name)' needs 'exposure: ingress'; a load balancer passes TCP through",
          at: resource.location(of: cluster.tlsSecret != nil ? "tls_secret" : "tls_cert_env"),
          hint: "terminate TLS at an Ingress, or remove the TLS settings"))
    }
    if let image = cluster.gatewayImage, !image.contains("@sha256:") {
      diagnostics.append(
        .error(
          "'gateway_image' of endpoint '\(name)' must name an image by digest, found '\(image)'",
          at: resource.location(of: "gateway_image"),
          hint: "use REGISTRY/REPOSITORY@sha256:…; a tag can move under a running endpoint"))
    }
    return diagnostics
  }

  /// The endpoint fields that only a cluster target reads.
  public static let clusterEndpointFields = [
    "exposure", "ingress_class", "host", "tls_secret", "tls_cert_env", "tls_key_env", "gateway_image", "gateway_replicas",
  ]

  public static func clusterField(_ field: String, of cluster: ClusterEndpointSettings) -> String? {
    switch field {
    case "ingress_class": cluster.ingressClass
    case "host": cluster.host
    case "tls_secret": cluster.tlsSecret
    case "tls_cert_env": cluster.tlsCertEnv
    case "tls_key_env": cluster.tlsKeyEnv
    case "gateway_image": cluster.gatewayImage
    case "exposure": cluster.exposure?.rawValue
    case "gateway_replicas": cluster.gatewayReplicas.map(String.init)
    default: nil
    }
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
