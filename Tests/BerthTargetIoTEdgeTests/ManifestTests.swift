import BerthModel
import BerthTargetAPI
import Foundation
import Testing

@testable import BerthTargetIoTEdge

/// The module definition and the composed manifest, without a hub.
@Suite struct ManifestTests {
  @Test func moduleCarriesTheImageByDigestAndCreateOptions() throws {
    let deployment = Samples.deployment(
      settings: [
        "port": .int(8080), "cpu_cores": .double(0.5), "memory_gb": .double(1.5), "environment_variables.MODE": .string("fast"),
        "routes.upstream": .string("FROM /messages/modules/iris-edge/outputs/* INTO $upstream"),
      ])
    let module = try EdgeModule(deployment, imageReference: deployment.image!.reference)
    #expect(module.name == "iris-edge")
    #expect(module.definition["settings"]?["image"]?.stringValue == deployment.image!.reference)
    #expect(module.definition["version"] == .string("rev000000001"))
    #expect(module.definition["restartPolicy"] == .string("always"))
    #expect(module.definition["status"] == .string("running"))
    let text = try #require(module.definition["settings"]?["createOptions"]?.stringValue)
    let options = try JSONValue.parse(Data(text.utf8))
    #expect(options.value(at: #"HostConfig.PortBindings["5001/tcp"][0].HostPort"#) == .string("8080"))
    #expect(options.value(at: "HostConfig.Memory") == .int(1_610_612_736))
    #expect(options.value(at: "HostConfig.NanoCpus") == .int(500_000_000))
    let env = options["Env"]?.arrayValue?.compactMap(\.stringValue) ?? []
    #expect(env.contains("MODE=fast") && env.contains("LOG_LEVEL=info") && env.contains("SERVICE_VERSION=rev000000001"))
    #expect(module.routes == ["iris-edge_upstream": "FROM /messages/modules/iris-edge/outputs/* INTO $upstream"])
  }

  @Test func longCreateOptionsAreSplitInFourKilobyteChunks() throws {
    var settings: [String: FieldValue] = [:]
    for index in 0..<40 { settings["environment_variables.VAR_\(index)"] = .string(String(repeating: "x", count: 200)) }
    let module = try EdgeModule(Samples.deployment(settings: settings), imageReference: "r/i@sha256:00")
    let members = try #require(module.definition["settings"]).objectMembers
    let chunks = members.filter { $0.key.hasPrefix("createOptions") }
    #expect(chunks.map(\.key) == ["createOptions", "createOptions01", "createOptions02"])
    for chunk in chunks { #expect((chunk.value.stringValue?.utf8.count ?? 0) <= 4096) }
    let joined = chunks.compactMap(\.value.stringValue).joined()
    #expect((try? JSONValue.parse(Data(joined.utf8))) != nil)
  }

  @Test func servicesOfOneDeviceComposeAndARemovalKeepsTheOthers() throws {
    var manifest = DeploymentManifest.base()
    let first = try EdgeModule(
      Samples.deployment("a", settings: ["routes.up": .string("FROM /messages/modules/a/outputs/* INTO $upstream")]),
      imageReference: "r/a@sha256:01")
    let second = try EdgeModule(Samples.deployment("b"), imageReference: "r/b@sha256:02")
    try manifest.place(first, environment: IoTHubDouble.environment)
    try manifest.place(second, environment: IoTHubDouble.environment)
    #expect(manifest.agent["modules"]?.objectMembers.map(\.key) == ["a", "b"])
    #expect(manifest.hub["routes"]?["a_up"] != nil)
    let credentials = manifest.agent.value(at: "runtime.settings.registryCredentials")
    #expect(credentials?["registry-example-com"]?["username"] == .string("edge-puller"))
    manifest.remove(module: "a", routes: ["a_up"])
    #expect(manifest.agent["modules"]?.objectMembers.map(\.key) == ["b"])
    #expect(manifest.hub["routes"]?["a_up"] == nil)
  }

  @Test func twinMetadataAndOtherModulesSurviveComposition() throws {
    let agent = try JSONValue.parse(
      Data(
        #"{"schemaVersion":"1.1","runtime":{"type":"docker","settings":{}},"systemModules":{},"modules":{"sensor":{"type":"docker","status":"running","restartPolicy":"always","settings":{"image":"s"}},"$metadata":{}},"$version":4}"#
          .utf8))
    var manifest = DeploymentManifest.current(agentDesired: agent, hubDesired: nil, timeToLiveSecs: 60)
    try manifest.place(
      try EdgeModule(Samples.deployment(), imageReference: "r/i@sha256:00"), environment: IoTHubDouble.environment)
    #expect(manifest.agent["$version"] == nil)
    #expect(manifest.agent["modules"]?.objectMembers.map(\.key) == ["sensor", "iris-edge"])
    #expect(manifest.hub.value(at: "storeAndForwardConfiguration.timeToLiveSecs") == .int(60))
  }

  @Test func missingRegistryCredentialsNameTheVariable() throws {
    var manifest = DeploymentManifest.base()
    let module = try EdgeModule(Samples.deployment(), imageReference: "r/i@sha256:00")
    #expect(
      throws: IoTEdgeError.configuration("the registry credential variable $REG_USER (registry registry.example.com) is not set")
    ) {
      try manifest.place(module, environment: [:])
    }
  }

  @Test func maskedCredentialsCarryNoSecret() throws {
    var manifest = DeploymentManifest.base()
    try manifest.place(
      try EdgeModule(Samples.deployment(), imageReference: "r/i@sha256:00"), environment: IoTHubDouble.environment,
      maskCredentials: true)
    let text = manifest.prettyJSON
    #expect(text.contains("\"password\": \"****\""))
    for secret in Samples.secrets + ["edge-puller"] { #expect(!text.contains(secret)) }
  }
}

/// An error the hub answers with never repeats a credential of the manifest sent.
@Suite struct RedactionTests {
  @Test func registryCredentialsOfTheContentAreRedactedFromHubErrors() throws {
    var manifest = DeploymentManifest.base()
    try manifest.place(
      try EdgeModule(Samples.deployment(), imageReference: "r/i@sha256:00"), environment: IoTHubDouble.environment)
    let secrets = IoTHubClient.credentials(in: manifest.content)
    #expect(Set(secrets) == ["edge-puller", "pa55-never-printed"])
    let text = IoTHubClient.redacted("ArgumentInvalid: password 'pa55-never-printed' for user edge-puller rejected", secrets)
    #expect(text == "ArgumentInvalid: password '****' for user **** rejected")
  }
}
