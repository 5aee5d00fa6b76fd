import BerthManifest
import BerthModel

/// Rules between endpoints and the services they name: the names resolve, each service belongs to one
/// endpoint on the endpoint's own compute target, and local-only settings stay on local targets.
enum EndpointRules {
  static func check(_ graph: DesiredGraph, invalid: Set<ResourceAddress>) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    let serviceNames = graph.resources(of: .service).map(\.address.name)
    /// Service → the first endpoint that names it, to report a second one.
    var claimedBy: [String: (endpoint: String, location: SourceLocation)] = [:]
    var localPorts: [Int: ResourceAddress] = [:]
    for service in graph.resources(of: .service) {
      if case .service(let spec) = service.spec, graph.computeTarget(of: spec)?.type == .local, let port = spec.int("port") {
        localPorts[port] = localPorts[port] ?? service.address
      }
    }

    for endpoint in graph.resources(of: .endpoint) {
      guard case .endpoint(let spec) = endpoint.spec else { continue }
      let name = endpoint.address.name
      let target = graph.computeTarget(of: spec)
      for field in ["port", "listen_address"] {
        let isSet = field == "port" ? spec.port != nil : spec.listenAddress != nil
        if isSet, let target, target.type != .local {
          diagnostics.append(
            .error(
              "'\(field)' of endpoint '\(name)' applies to local compute targets only; '\(spec.computeTarget)' is of type \(target.type.rawValue)",
              at: endpoint.location(of: field),
              hint: "a \(target.type.rawValue) target chooses the endpoint's address itself; remove '\(field)'"))
        }
      }
      if let target, target.type != .kubernetes {
        for field in SettingsRules.clusterEndpointFields where SettingsRules.clusterField(field, of: spec.cluster) != nil {
          diagnostics.append(
            .error(
              "'\(field)' of endpoint '\(name)' applies to kubernetes compute targets only; '\(spec.computeTarget)' is of type \(target.type.rawValue)",
              at: endpoint.location(of: field), hint: "remove '\(field)'"))
        }
      }
      if let target, target.type == .kubernetes, spec.cluster.gatewayImage == nil,
        target.settings["gateway_image"] == nil, graph.workspace?.registry == nil
      {
        diagnostics.append(
          .error(
            "endpoint '\(name)' on kubernetes target '\(spec.computeTarget)' needs a gateway image",
            at: endpoint.location(of: "compute_target"),
            hint:
              "name a registry in the Workspace (apply builds and pushes the gateway image there), or set 'gateway_image: REGISTRY/berth/gateway@sha256:…' (docs/kubernetes.md, \"Endpoints\")"
          ))
      }
      // A kubernetes service with its own gateway (auth on, no endpoint) uses its name for the gateway's objects.
      if target?.type == .kubernetes, let service = graph[ResourceAddress(.service, name)],
        case .service(let serviceSpec) = service.spec, serviceSpec.endpoint == nil,
        serviceSpec.bool("auth_enabled") == true || serviceSpec.bool("token_auth_enabled") == true,
        graph.computeTarget(of: serviceSpec)?.type == .kubernetes
      {
        diagnostics.append(
          .error(
            "endpoint '\(name)' and service '\(name)', which runs a gateway of its own, would both own the Kubernetes objects '\(name)-gateway', '\(name)-routes' and '\(name)-keys'",
            at: endpoint.location, hint: "rename the endpoint, or put service '\(name)' behind an endpoint"))
      }
      if let port = spec.port, target?.type == .local {
        if let other = localPorts[port] {
          diagnostics.append(
            .error(
              "port \(port) of endpoint '\(name)' is already used by local \(other.kind.rawValue.lowercased()) '\(other.name)'",
              at: endpoint.location(of: "port"), hint: "everything listening on one machine needs a distinct port"))
        } else {
          localPorts[port] = endpoint.address
        }
      }
      for (field, shares) in [("traffic", spec.traffic), ("mirror_traffic", spec.mirrorTraffic)] {
        for serviceName in shares.keys.sorted() {
          let location = endpoint.location(of: "\(field).\(serviceName)")
          let serviceAddress = ResourceAddress(.service, serviceName)
          guard let service = graph[serviceAddress], case .service(let serviceSpec) = service.spec else {
            if invalid.contains(serviceAddress) { continue }
            let hint =
              Suggestion.didYouMean(serviceName, in: serviceNames)
              ?? (serviceNames.isEmpty ? "no Service is declared" : "declared: " + serviceNames.sorted().joined(separator: ", "))
            diagnostics.append(
              .error("unknown service '\(serviceName)' in '\(field)' of endpoint '\(name)'", at: location, hint: hint))
            continue
          }
          if let first = claimedBy[serviceName], first.endpoint != name {
            diagnostics.append(
              .error(
                "service '\(serviceName)' is in two endpoints: '\(first.endpoint)' and '\(name)'", at: location,
                hint:
                  "a service is a deployment of one endpoint (named first at \(first.location)); deploy a copy under another name"
              ))
            continue
          }
          if claimedBy[serviceName] == nil { claimedBy[serviceName] = (endpoint: name, location: location) }
          if serviceSpec.endpoint != name {
            let now = serviceSpec.endpoint.map { "declares endpoint '\($0)'" } ?? "declares no endpoint"
            diagnostics.append(
              .error(
                "service '\(serviceName)' is in '\(field)' of endpoint '\(name)' but \(now)", at: location,
                hint: "set `endpoint: \(name)` in the spec of service '\(serviceName)'"))
            continue
          }
          if serviceSpec.computeTarget != spec.computeTarget {
            diagnostics.append(
              .error(
                "service '\(serviceName)' runs on compute target '\(serviceSpec.computeTarget)', but its endpoint '\(name)' serves on '\(spec.computeTarget)'",
                at: service.location(of: "compute_target"),
                hint:
                  "an endpoint routes to deployments on its own compute target; deploy '\(serviceName)' to '\(spec.computeTarget)'"
              ))
          }
        }
      }
    }
    // Services that join an endpoint the endpoint's traffic does not name still must run where it serves.
    for service in graph.resources(of: .service) {
      guard case .service(let spec) = service.spec, let endpointName = spec.endpoint,
        let endpoint = graph.endpoint(named: endpointName), claimedBy[service.address.name] == nil,
        endpoint.computeTarget != spec.computeTarget
      else { continue }
      diagnostics.append(
        .error(
          "service '\(service.address.name)' runs on compute target '\(spec.computeTarget)', but its endpoint '\(endpointName)' serves on '\(endpoint.computeTarget)'",
          at: service.location(of: "compute_target"),
          hint:
            "an endpoint routes to deployments on its own compute target; deploy '\(service.address.name)' to '\(endpoint.computeTarget)'"
        ))
    }
    return diagnostics
  }
}
