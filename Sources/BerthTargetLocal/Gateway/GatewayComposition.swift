import BerthGateway

/// Composes a gateway's configuration from its endpoint's definition and the deployments that are running. Pure.
///
/// While a deployment named in `traffic` is not running yet (the first apply starts the endpoint before its
/// services), its share goes to the running ones in proportion, so the gateway routes only to servers that exist;
/// once every named deployment runs, the split is exactly the declared one. A mirror target that does not run yet
/// is left out.
enum GatewayComposition {
  static func configuration(
    _ definition: EndpointDefinition, deployments: [GatewayConfiguration.Deployment], layout: GatewayLayout,
    reloadIntervalMs: Int = 200
  ) -> GatewayConfiguration {
    let running = Set(deployments.map(\.name))
    let traffic = share(definition.traffic.filter { running.contains($0.key) })
    let mirror = definition.mirrorTraffic.filter { running.contains($0.key) && (traffic[$0.key] ?? 0) == 0 }
    return GatewayConfiguration(
      endpoint: definition.name, listenAddress: definition.listenAddress, port: definition.port,
      authMode: definition.authMode,
      keysFile: definition.authMode == .key ? layout.keysFile : nil,
      tokenSigningKeyFile: definition.authMode == .amlToken ? layout.signingKeyFile : nil,
      deployments: deployments.sorted { $0.name < $1.name }, traffic: traffic, mirrorTraffic: mirror,
      modelDataFolder: layout.dataDirectory, reloadIntervalMs: reloadIntervalMs, listeningFile: layout.listeningFile)
  }

  static func share(_ traffic: [String: Int]) -> [String: Int] { TrafficShares.renormalized(traffic) }
}
