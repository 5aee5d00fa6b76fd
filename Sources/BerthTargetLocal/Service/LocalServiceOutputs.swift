import BerthModel
import BerthTargetAPI
import Foundation

/// What an apply records for a local service, and what `observe` reads back: the same values, so that
/// `berth import` records an adopted service fully and `drift` compares like with like.
enum LocalServiceOutputs {
  static func attributes(
    instance: String, revision: String, handle: ScoringProcessHandle, modelDirectory: String?, endpoint: String?,
    definition: EndpointDefinition, host: GatewayHost, gatewayPid: Int32?
  ) -> Attributes {
    var outputs: Attributes = [
      ServiceInstance.outputKey: .string(instance),
      "revision": .string(revision),
      "backend_port": .int(handle.port),
      "pid": .int(Int(handle.pid)),
      "start_time": .string(ISO8601DateFormatter().string(from: handle.startedAt)),
      "scoring_uri": .string(definition.scoringURI),
      "swagger_uri": .string(definition.swaggerURI),
      "log_file": .string(handle.logFile),
      "gateway_folder": .string(host.layout.root),
      "auth_mode": .string(definition.authMode.rawValue),
    ]
    if let endpoint {
      outputs["endpoint"] = .string(endpoint)
    } else {
      if let gatewayPid { outputs["gateway_pid"] = .int(Int(gatewayPid)) }
      // A service behind an endpoint has no port of its own; the endpoint records its address and keys.
      outputs["port"] = .int(definition.port)
      if let fingerprint = host.layout.fingerprint(definition.authMode) {
        outputs["key_fingerprint"] = .string(fingerprint)
      }
    }
    if let modelDirectory { outputs["model_dir"] = .string(modelDirectory) }
    return outputs
  }
}
