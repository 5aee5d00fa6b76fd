import BerthModel
import BerthTargetACI
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

/// A service with `auth_enabled` on aci: the group Berth PUTs on the ARM double carries a gateway container, and the
/// real `berth gateway`, run with exactly that container's configuration file and secure variable, refuses callers
/// without a key and lets the keys `berth endpoints get-credentials` derives through to the scoring server.
@Suite(.timeLimit(.minutes(5))) struct ACIGatewayTests {
  static let subscription = "00000000-0000-0000-0000-00000000beef"
  static let authSecret = "aci-auth-secret-never-printed-1234"

  @Test func theGatewayContainerChecksTheDerivedKeys() async throws {
    let double = try await ARMDouble(polls: 0)
    defer { Task { await double.stop() } }
    let environment = double.environment.merging(["ACI_AUTH_SECRET": Self.authSecret]) { $1 }
    let provider = ACITargetProvider(environment: environment, pollInterval: .milliseconds(20))
    let target: [String: FieldValue] = [
      "subscription_id": .string(Self.subscription), "resource_group": .string("ml-dev"),
      "location": .string("westeurope"), "resource_manager": .string(double.url),
      "auth_secret_env": .string("ACI_AUTH_SECRET"),
    ]
    let digest = "sha256:" + String(repeating: "a", count: 64)
    let image = ContainerImage(
      reference: "mlregistry.azurecr.io/berth/risk@\(digest)", digest: digest, registry: "mlregistry.azurecr.io")
    let gatewayDigest = "sha256:" + String(repeating: "b", count: 64)
    var deployment = ServiceDeployment(
      name: "risk", revision: "rev000000001",
      models: [DeployedModel(name: "diabetes", version: 1, sha256: "10cdf86f", storePath: "/m", basename: "model.pkl")],
      sourceDirectory: "/src", entryScript: "score.py", condaFile: "/env/conda.yaml", environmentName: "sklearn",
      environmentDigest: "0a7b0d86",
      settings: ["auth_enabled": .bool(true), "replica_max_concurrent_requests": .int(2)],
      computeTargetName: "aci-dev", computeTarget: ComputeTargetSpec(type: .aci, settings: target), image: image)
    deployment.gatewayImage = ContainerImage(
      reference: "mlregistry.azurecr.io/berth/gateway@\(gatewayDigest)", digest: gatewayDigest, registry: "mlregistry.azurecr.io")
    let response = try await provider.apply(ApplyRequest(operation: .deploy(deployment)))
    #expect(response.outputs["gateway_endpoint"] == .string("risk"))
    #expect(response.outputs["auth_mode"] == .string("key"))
    #expect(!"\(response.outputs)".contains(Self.authSecret))

    // What ACI was asked to run: two containers, the gateway on the public port, the scoring server inside only.
    let path =
      "/subscriptions/\(Self.subscription)/resourceGroups/ml-dev/providers/Microsoft.ContainerInstance/containerGroups/risk"
    let stored = try double.control("GET", "resource?path=\(path)")
    let properties = try #require(stored["properties"] as? [String: Any])
    let containers = try #require(properties["containers"] as? [[String: Any]])
    #expect(containers.map { $0["name"] as? String } == ["scoring", "gateway"])
    let gateway = try #require(containers.last?["properties"] as? [String: Any])
    let scoring = try #require(containers.first?["properties"] as? [String: Any])
    #expect(((scoring["ports"] as? [[String: Any]])?.first?["port"] as? Int) == 5001)
    #expect(((properties["ipAddress"] as? [String: Any])?["ports"] as? [[String: Any]])?.first?["port"] as? Int == 80)
    #expect(gateway["image"] as? String == deployment.gatewayImage?.reference)
    let variable = try #require((gateway["environmentVariables"] as? [[String: Any]])?.first)
    let keysJSON = try #require(variable["secureValue"] as? String)
    let volume = try #require((properties["volumes"] as? [[String: Any]])?.first?["secret"] as? [String: String])
    let configText = String(decoding: try #require(Data(base64Encoded: volume["gateway.json"] ?? "")), as: UTF8.self)

    // The real gateway with that configuration: only the listening port and the upstream differ from ACI's group.
    let upstream = try await StaticUpstream(name: "risk")
    defer { Task { await upstream.stop() } }
    let folder = try ScratchDirectory("berth-aci-gateway")
    var config = try #require(try JSONSerialization.jsonObject(with: Data(configText.utf8)) as? [String: Any])
    #expect(config["keys_env"] as? String == "BERTH_GATEWAY_KEYS")
    #expect(((config["deployments"] as? [[String: Any]])?.first?["upstreams"] as? [String]) == ["127.0.0.1:5001"])
    #expect(((config["deployments"] as? [[String: Any]])?.first?["replica_max_concurrent_requests"] as? Int) == 2)
    config["port"] = 0
    config["listen_address"] = "127.0.0.1"
    config["listening_file"] = folder.path + "/listening.json"
    var deployments = config["deployments"] as? [[String: Any]] ?? []
    deployments[0]["upstreams"] = [upstream.address]
    config["deployments"] = deployments
    try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: folder.path + "/gateway.json"))
    let server = try BerthProcess.start(
      ["gateway", "--config", "gateway.json"], in: folder.path, environment: ["BERTH_GATEWAY_KEYS": keysJSON])
    defer { server.terminate() }
    let port = try await GatewayCommandTests().listeningPort(folder.path + "/listening.json")
    let client = LoopbackClient(port: port)
    #expect(try client.score(key: nil) == 401)
    let credentials = try await provider.endpointSecrets(name: "risk", recorded: response.outputs)
    let primary = try #require(credentials.primaryKey)
    #expect(try client.score(key: primary) == 200)
    #expect(try client.score(key: try #require(credentials.secondaryKey)) == 200)
    #expect(try client.score(key: "not-a-key") == 401)

    // The same secret and group give the same keys on the next apply (an update does not rotate them).
    var next = deployment
    next.revision = "rev000000002"
    _ = try await provider.apply(ApplyRequest(operation: .update(next, previous: response.outputs)))
    let updated = try double.control("GET", "resource?path=\(path)")
    let updatedGateway = ((updated["properties"] as? [String: Any])?["containers"] as? [[String: Any]])?.last
    let updatedVariable = ((updatedGateway?["properties"] as? [String: Any])?["environmentVariables"] as? [[String: Any]])?.first
    #expect(updatedVariable?["secureValue"] as? String == keysJSON)
    // `berth render` shows the body with the key masked.
    #expect(!ContainerGroupRenderer.redactedJSON(updated).contains(primary))
  }
}
