import BerthModel
import Foundation
import Testing

@testable import BerthTargetIoTEdge

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The double refuses what the hub would: its checks are what the provider's tests rely on.
@Suite(.serialized) struct DoubleTests {
  static func client(_ double: IoTHubDouble) throws -> IoTHubClient {
    IoTHubClient(try HubConnection.resolve(double.settings, environment: IoTHubDouble.environment))
  }

  /// The base manifest with `change` applied to its `$edgeAgent` desired properties.
  static func content(_ change: (inout JSONValue) -> Void) -> JSONValue {
    var manifest = DeploymentManifest.base()
    change(&manifest.agent)
    return manifest.content
  }

  static func module(_ settings: JSONValue) -> JSONValue {
    .obj([
      "type": .string("docker"), "status": .string("running"), "restartPolicy": .string("always"), "settings": settings,
    ])
  }

  @Test func manifestsAgainstThePublishedSchemaAreRefused() async throws {
    let double = try await IoTHubDouble()
    defer { Task { await double.stop() } }
    let client = try Self.client(double)
    defer { Task { await client.shutdown() } }
    let cases: [(String, JSONValue)] = [
      ("settings.image is required", Self.content { $0.set("modules", .obj(["m": Self.module(.obj([:]))])) }),
      (
        "createOptions is 5002 bytes, more than 4096",
        Self.content {
          $0.set(
            "modules",
            .obj([
              "m": Self.module(
                .obj(["image": .string("i"), "createOptions": .string("\"" + String(repeating: "x", count: 5000) + "\"")]))
            ]))
        }
      ),
      (
        "createOptions is not JSON",
        Self.content {
          $0.set("modules", .obj(["m": Self.module(.obj(["image": .string("i"), "createOptions": .string("{")]))]))
        }
      ),
      ("invalid module name", Self.content { $0.set("modules", .obj(["bad.name": Self.module(.obj(["image": .string("i")]))])) }),
      ("schemaVersion must be 1.1", Self.content { $0.set("schemaVersion", .string("2.0")) }),
      ("systemModules.edgeHub is required", Self.content { $0.set("systemModules", .obj(["edgeAgent": .obj([:])])) }),
    ]
    for (expected, content) in cases {
      do {
        try await client.applyConfigurationContent(deviceID: IoTHubDouble.device, content: content)
        Issue.record("accepted a manifest with: \(expected)")
      } catch let IoTEdgeError.hub(code, message) {
        #expect(code == 400)
        #expect(message.contains(expected), "\(message)")
      }
    }
    try await client.applyConfigurationContent(deviceID: IoTHubDouble.device, content: DeploymentManifest.base().content)
  }

  @Test func expiredTokensForeignResourcesAndOtherAPIVersionsAreRefused() async throws {
    let double = try await IoTHubDouble()
    defer { Task { await double.stop() } }
    func status(token: String, apiVersion: String = IoTHubClient.apiVersion) async throws -> Int {
      var request = URLRequest(url: URL(string: "\(double.url)/twins/edge-01/modules/%24edgeAgent?api-version=\(apiVersion)")!)
      request.setValue(token, forHTTPHeaderField: "Authorization")
      let (_, response) = try await URLSession.shared.data(for: request)
      return (response as? HTTPURLResponse)?.statusCode ?? 0
    }
    let now = Int(Date().timeIntervalSince1970)
    let host = "\(IoTHubDouble.hub).azure-devices.net"
    let valid = try SASToken.make(resource: host, key: IoTHubDouble.key, policyName: IoTHubDouble.policy, expiry: now + 60)
    #expect(try await status(token: valid) == 200)
    #expect(try await status(token: valid, apiVersion: "2018-06-30") == 400)
    let expired = try SASToken.make(resource: host, key: IoTHubDouble.key, policyName: IoTHubDouble.policy, expiry: now - 1)
    #expect(try await status(token: expired) == 401)
    let foreign = try SASToken.make(
      resource: "other.azure-devices.net", key: IoTHubDouble.key, policyName: IoTHubDouble.policy, expiry: now + 60)
    #expect(try await status(token: foreign) == 401)
    let policy = try SASToken.make(resource: host, key: IoTHubDouble.key, policyName: "device", expiry: now + 60)
    #expect(try await status(token: policy) == 401)
    #expect(try await status(token: "Bearer x") == 401)
  }
}
