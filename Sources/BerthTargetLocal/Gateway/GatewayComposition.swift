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

  /// Percentages scaled to sum to 100 (largest remainders get the rounding), or unchanged when they already sum
  /// to 100 or are all 0.
  static func share(_ traffic: [String: Int]) -> [String: Int] {
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
