import BerthGateway
import BerthModel
import BerthTargetAPI
import Foundation

/// Publishes and removes endpoints on this machine: one gateway each, in `<runtime>/_endpoints/<name>/`.
///
/// Publishing writes the endpoint's definition (address, auth mode, traffic), creates its credentials once
/// (never replaced by a publish: `berth endpoints regenerate-keys` does that), and makes the gateway serve the
/// result. The endpoint's deployments join it when their services deploy.
struct LocalEndpoints: Sendable {
  let provider: LocalTargetProvider
  let progress: @Sendable (String) -> Void

  func publish(_ endpoint: EndpointDeployment, previous: Attributes?) async throws -> ApplyResponse {
    let host = provider.endpointHost(endpoint.name)
    let running = host.runningProcess().flatMap(host.listening)
    let port = endpoint.spec.port ?? running?.port ?? previous?.int("port") ?? host.definition()?.port
    let chosen = port ?? PortProbe.findFreePort(in: 8890...8999) ?? PortProbe.findFreePort()
    guard let chosen else { throw TargetError("no free port for endpoint '\(endpoint.name)' on this machine", isRetryable: true) }
    if chosen != running?.port, !PortProbe.isFree(port: chosen) {
      throw TargetError(
        "port \(chosen) is in use by another program on this machine; stop it or set another 'port' for endpoint '\(endpoint.name)'"
      )
    }
    let definition = EndpointDefinition(
      name: endpoint.name, authMode: EndpointDefinition.authMode(endpoint.spec.authMode), traffic: endpoint.spec.traffic,
      mirrorTraffic: endpoint.spec.mirrorTraffic, listenAddress: endpoint.spec.effectiveListenAddress, port: chosen)
    try host.write(definition)
    let fingerprint = try host.ensureSecrets(for: definition.authMode)
    let digest = try host.compose()
    let process = try await host.serve(digest: digest, progress: progress)
    let registered = Set(host.deployments().map(\.name))
    let waiting = definition.traffic.keys.filter { !registered.contains($0) }.sorted()
    if !waiting.isEmpty {
      progress(
        "deployments not running yet: \(waiting.joined(separator: ", ")) (their traffic share goes to the others until they deploy)"
      )
    }
    var outputs: Attributes = [
      "port": .int(chosen), "listen_address": .string(definition.listenAddress),
      "scoring_uri": .string(definition.scoringURI), "swagger_uri": .string(definition.swaggerURI),
      "gateway_pid": .int(Int(process.pid)), "gateway_folder": .string(host.layout.root),
      "auth_mode": .string(definition.authMode.rawValue),
    ]
    if let fingerprint { outputs["key_fingerprint"] = .string(fingerprint) }
    return ApplyResponse(
      outputs: outputs,
      message:
        "endpoint serving on \(definition.scoringURI) (auth \(definition.authMode.rawValue); traffic \(Self.shares(definition.traffic)))"
    )
  }

  /// Stops the endpoint's gateway and removes its folder (credentials included).
  func delete(_ name: String) async throws -> ApplyResponse {
    let host = provider.endpointHost(name)
    let left = host.deployments().map(\.name)
    guard await host.stop() else {
      throw TargetError("the gateway of endpoint '\(name)' survived SIGKILL", isRetryable: true)
    }
    do {
      if FileManager.default.fileExists(atPath: host.layout.root) { try FileManager.default.removeItem(atPath: host.layout.root) }
    } catch {
      throw TargetError("stopped endpoint '\(name)' but cannot remove '\(host.layout.root)': \(error.localizedDescription)")
    }
    let note = left.isEmpty ? "" : " (deployments still registered: \(left.joined(separator: ", ")))"
    return ApplyResponse(message: "gateway stopped, credentials removed\(note)")
  }

  static func shares(_ traffic: [String: Int]) -> String {
    traffic.isEmpty ? "none" : traffic.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value) %" }.joined(separator: ", ")
  }
}
