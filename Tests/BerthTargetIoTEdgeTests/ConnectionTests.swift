import BerthModel
import Foundation
import Testing

@testable import BerthTargetIoTEdge

/// The connection string and the hub host: errors name the variable, never the value.
@Suite struct ConnectionTests {
  let settings: [String: FieldValue] = ["connection_string_env": .string("HUB_CS")]

  @Test func parsesAConnectionString() throws {
    let connection = try HubConnection.resolve(settings, environment: ["HUB_CS": IoTHubDouble.connectionString])
    #expect(connection.hostName == "testhub.azure-devices.net")
    #expect(connection.baseURL == "https://testhub.azure-devices.net")
    #expect(connection.policyName == "iothubowner")
    #expect(!connection.description.contains(IoTHubDouble.key))
  }

  @Test(arguments: [
    "HostName=testhub.azure-devices.net;SharedAccessKeyName=owner",  // no key
    "this is not a connection string at all s3cretish",
    "HostName=testhub.azure-devices.net;SharedAccessKeyName=owner;SharedAccessKey=***not-base64***",
  ])
  func aBadConnectionStringIsAClearErrorNamingTheVariable(_ value: String) {
    do {
      _ = try HubConnection.resolve(settings, environment: ["HUB_CS": value])
      Issue.record("accepted \(value)")
    } catch {
      let text = "\(error)"
      #expect(text.contains("$HUB_CS"), "\(text)")
      #expect(!text.contains(value), "the error must not repeat the value: \(text)")
      #expect(!text.contains("s3cretish") && !text.contains("not-base64"), "\(text)")
    }
  }

  @Test func anUnsetVariableIsNamed() {
    #expect(
      throws: IoTEdgeError.configuration(
        "the IoT Hub connection string variable $HUB_CS is not set (connection_string_env of the iotedge compute target)")
    ) {
      try HubConnection.resolve(settings, environment: [:])
    }
  }

  @Test func aConnectionStringForAnotherHubIsRefused() {
    var settings = self.settings
    settings["iot_hub"] = .string("otherhub")
    #expect(throws: IoTEdgeError.self) {
      try HubConnection.resolve(settings, environment: ["HUB_CS": IoTHubDouble.connectionString])
    }
  }

  @Test func plainHTTPOnlyOnLoopback() throws {
    #expect(try HubConnection.baseURL(override: "http://127.0.0.1:8443", hostName: "h") == "http://127.0.0.1:8443")
    #expect(try HubConnection.baseURL(override: "http://localhost:1/", hostName: "h") == "http://localhost:1")
    #expect(try HubConnection.baseURL(override: "private.example.net", hostName: "h") == "https://private.example.net")
    #expect(try HubConnection.baseURL(override: nil, hostName: "h.azure-devices.net") == "https://h.azure-devices.net")
    #expect(throws: IoTEdgeError.self) { try HubConnection.baseURL(override: "http://10.0.0.5:80", hostName: "h") }
    #expect(throws: IoTEdgeError.self) { try HubConnection.baseURL(override: "ftp://127.0.0.1", hostName: "h") }
    #expect(throws: IoTEdgeError.self) { try HubConnection.baseURL(override: "https://h.example/path", hostName: "h") }
  }
}
