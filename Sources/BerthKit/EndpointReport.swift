import BerthGraph
import BerthModel
import BerthState

/// One endpoint as `berth endpoints` shows it: what the manifests declare and what the last apply recorded.
public struct EndpointReport: Sendable, Equatable {
  public var name: String
  /// What the manifests say, nil when the endpoint is only recorded (removed from the manifests, not yet applied).
  public var declared: Declared?
  /// What state holds, nil when the endpoint was never applied.
  public var recorded: Attributes?
  /// The scoring URI the target reported, when it is known.
  public var scoringURI: String?

  public struct Declared: Sendable, Equatable {
    public var computeTarget: String
    public var computeType: ComputeType?
    public var authMode: EndpointAuthMode
    public var traffic: [String: Int]
    public var mirrorTraffic: [String: Int]
    /// `listen_address:port` on a local target; nil elsewhere or without a port.
    public var listen: String?
    /// Services whose `endpoint` is this one, sorted.
    public var deployments: [String]
  }

  /// Endpoints declared in `graph` or recorded in `state`, by name.
  public static func all(graph: DesiredGraph, state: StateSnapshot) -> [EndpointReport] {
    let declaredNames = graph.resources(of: .endpoint).map(\.address.name)
    let recordedNames = state.resources.keys.filter { $0.kind == .endpoint }.map(\.name)
    return Set(declaredNames + recordedNames).sorted().map { name -> EndpointReport in
      let record = state.resources[ResourceAddress(.endpoint, name)]
      var scoringURI: String?
      if case .string(let uri)? = record?.outputs["scoring_uri"] { scoringURI = uri }
      return EndpointReport(
        name: name, declared: declared(name, in: graph), recorded: record?.attributes, scoringURI: scoringURI)
    }
  }

  static func declared(_ name: String, in graph: DesiredGraph) -> Declared? {
    guard let spec = graph.endpoint(named: name) else { return nil }
    let type = graph.computeTarget(of: spec)?.type
    let deployments = graph.resources(of: .service).compactMap { service -> String? in
      guard case .service(let serviceSpec) = service.spec, serviceSpec.endpoint == name else { return nil }
      return service.address.name
    }
    return Declared(
      computeTarget: spec.computeTarget, computeType: type, authMode: spec.authMode, traffic: spec.traffic,
      mirrorTraffic: spec.mirrorTraffic,
      listen: type == .local ? spec.port.map { "\(spec.effectiveListenAddress):\($0)" } : nil,
      deployments: deployments.sorted())
  }

  /// `blue 90 %, green 10 %`, or `-` when empty.
  public static func shares(_ traffic: [String: Int]) -> String {
    traffic.isEmpty ? "-" : traffic.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value) %" }.joined(separator: ", ")
  }

  /// The recorded `traffic.*` (or `mirror_traffic.*`) attributes as a split.
  public static func recordedShares(_ attributes: Attributes, prefix: String) -> [String: Int] {
    var shares: [String: Int] = [:]
    for (key, value) in attributes where key.hasPrefix(prefix + ".") {
      if case .int(let percent) = value { shares[String(key.dropFirst(prefix.count + 1))] = percent }
    }
    return shares
  }
}

extension Reconciler {
  /// Reports on every endpoint declared under `path` or recorded in its state. Reads; changes nothing. Works even
  /// when other manifests are invalid, as `services` does.
  public func endpoints(path: String, overlays: [String] = []) async throws -> [EndpointReport] {
    let validation = Validation.run(path: path, overlays: overlays)
    let workspace = try Workspace.resolve(validation.manifests.workspace, root: validation.manifests.root)
    let state = try await openState(workspace.state, .read).snapshot()
    return EndpointReport.all(graph: validation.graph, state: state)
  }
}
