import BerthGateway
import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

@testable import BerthTargetKubernetes

/// Endpoints on Kubernetes: the gateway's objects (golden YAML, valid for 1.30 and the newest schemas), and their
/// lifecycle on the API server double — publish, members joining the routes, a weight change touching only the
/// ConfigMap, a key regeneration touching only the Secret, delete leaving nothing.
@Suite(.serialized) struct KubernetesEndpointTests {
  static let gatewayImage = "registry.example.com/berth/gateway@sha256:" + String(repeating: "cd", count: 32)

  static func endpoint(
    traffic: [String: Int] = ["blue": 90, "green": 10], cluster: ClusterEndpointSettings = ClusterEndpointSettings(),
    target: [String: FieldValue] = [:]
  ) -> EndpointDeployment {
    var cluster = cluster
    cluster.gatewayImage = cluster.gatewayImage ?? gatewayImage
    return EndpointDeployment(
      name: "risk", spec: EndpointSpec(computeTarget: "aks-prod", traffic: traffic, cluster: cluster),
      computeTargetName: "aks-prod", computeTarget: ComputeTargetSpec(type: .kubernetes, settings: target))
  }

  static func member(_ name: String, target: [String: FieldValue] = [:], settings: [String: FieldValue] = [:])
    -> ServiceDeployment
  {
    var deployment = Samples.deployment(name, settings: ["num_replicas": .int(2)].merging(settings) { $1 }, target: target)
    deployment.endpoint = "risk"
    return deployment
  }

  @Test func blueGreenObjectsMatchTheGoldenYAMLAndValidate() async throws {
    let definition = EndpointRenderer.Definition(
      Self.endpoint(
        cluster: ClusterEndpointSettings(
          exposure: .ingress, ingressClass: "nginx", host: "risk.example.com", tlsSecret: "risk-example-tls")))
    let members = ["blue", "green"].map {
      KubernetesRenderer.gatewayEntry(
        Self.member($0, settings: ["replica_max_concurrent_requests": .int(4)]),
        settings: KubernetesSettings(["num_replicas": .int(2), "replica_max_concurrent_requests": .int(4)]),
        namespace: "ml-prod")
    }
    var objects = EndpointRenderer.render(
      definition, routes: EndpointRenderer.routes(definition, members: members), namespace: "ml-prod")
    for name in ["blue", "green"] {
      objects += KubernetesRenderer.render(Self.member(name), image: .built(Samples.image), namespace: "ml-prod")
    }
    let yaml = ObjectOutput.yaml(objects)
    let mismatch = SnapshotFile.mismatch(yaml, file: Samples.snapshots.appendingPathComponent("endpoint-blue-green.yaml"))
    #expect(mismatch == nil, "\(mismatch ?? "")")
    // The keys Secret is validated too, with made-up keys; it is not part of the golden file.
    let secret = EndpointSecrets.keys(
      endpoint: "risk", namespace: "ml-prod", keys: EndpointKeys(primaryKey: "p", secondaryKey: "s"), signingKey: nil)
    let tls = EndpointSecrets.tls(endpoint: "risk", namespace: "ml-prod", certificate: "CERT", privateKey: "KEY")
    for version in ["1.30.0", try await Samples.newestBundledVersion()] {
      let failure = try await Samples.kubernetesValidate(ObjectOutput.yaml(objects + [secret, tls]), version: version)
      #expect(failure == nil, "against \(version): \(failure ?? "")")
    }
  }

  @Test func routesGiveAbsentDeploymentsShareToThePresentOnes() {
    let definition = EndpointRenderer.Definition(Self.endpoint(traffic: ["blue": 90, "green": 10]))
    let blue = KubernetesRenderer.gatewayEntry(
      Self.member("blue"), settings: KubernetesSettings(["num_replicas": .int(2)]), namespace: "ml-prod")
    let routes = EndpointRenderer.routes(definition, members: [blue])
    #expect(routes.traffic == ["blue": 100])
    #expect(routes.deployments.map(\.upstreams) == [["blue.ml-prod.svc.cluster.local:80"]])
    #expect(routes.keysFile == "/etc/berth-gateway/keys/keys.json")
    #expect(routes.listenAddress == "0.0.0.0")
  }

  @Test func longEndpointNamesStayValidDNSLabels() {
    let name = String(repeating: "a", count: 60)
    let gateway = EndpointRenderer.gatewayName(name)
    #expect(gateway.count <= 63)
    #expect(gateway.hasSuffix("-gateway"))
    #expect(gateway != EndpointRenderer.gatewayName(String(repeating: "a", count: 61)))
  }

  /// The `resourceVersion` of each gateway object, by `Kind/name`.
  static func versions(_ client: KubeClient) async throws -> [String: String] {
    var versions: [String: String] = [:]
    let selector = "\(EndpointRenderer.endpointLabel)=risk,\(EndpointRenderer.componentLabel)=gateway"
    for kind in [KubeKind.configMap, .deployment, .podDisruptionBudget, .service, .ingress, .networkPolicy, .secret] {
      for object in try await client.list(kind, namespace: "ml-prod", labelSelector: selector) {
        let name = object["metadata"]?["name"]?.stringValue ?? "?"
        versions["\(kind.kind)/\(name)"] = object["metadata"]?["resourceVersion"]?.stringValue
      }
    }
    return versions
  }

  static func routes(_ client: KubeClient) async throws -> GatewayConfiguration {
    let configMap = try #require(try await client.get(.configMap, "risk-routes", namespace: "ml-prod"))
    let text = try #require(configMap["data"]?["gateway.json"]?.stringValue)
    return try JSONDecoder().decode(GatewayConfiguration.self, from: Data(text.utf8))
  }

  @Test func lifecycleOnTheAPIDouble() async throws {
    let (double, provider, settings) = try await ProviderTests.provisioned()
    defer { Task { await double.stop() } }
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }

    // Publish before the members deploy (the plan's order): the gateway objects exist, with no route yet.
    let published = try await provider.apply(
      ApplyRequest(operation: .publishEndpoint(Self.endpoint(target: settings), previous: nil)))
    #expect(published.outputs["scoring_uri"] == .string("http://risk-gateway.ml-prod.svc.cluster.local/score"))
    let fingerprint = try #require(published.outputs["key_fingerprint"])
    #expect(try await Self.routes(client).deployments.isEmpty)
    let gateway = try #require(try await client.get(.deployment, "risk-gateway", namespace: "ml-prod"))
    #expect(gateway["metadata"]?["managedFields"]?[0]?["manager"]?.stringValue == "berth")
    #expect(gateway["spec"]?["replicas"]?.intValue == 2)
    #expect(try await client.get(.networkPolicy, "risk-scoring", namespace: "ml-prod") != nil)
    let keysSecret = try #require(try await client.get(.secret, "risk-keys", namespace: "ml-prod"))
    let keys = try #require(EndpointSecrets.readKeys(keysSecret))
    #expect(
      !ObjectOutput.json(.object(published.outputs.map { .init($0.key, .string("\($0.value)")) })).contains(keys.primaryKey))

    // Members deploy and join the routes; their pods carry the endpoint label the NetworkPolicy selects.
    for name in ["blue", "green"] {
      _ = try await provider.apply(ApplyRequest(operation: .deploy(Self.member(name, target: settings))))
    }
    var routes = try await Self.routes(client)
    #expect(routes.deployments.map(\.name) == ["blue", "green"])
    #expect(routes.traffic == ["blue": 90, "green": 10])
    let bluePods = try #require(try await client.get(.deployment, "blue", namespace: "ml-prod"))
    #expect(bluePods["spec"]?["template"]?["metadata"]?["labels"]?[EndpointRenderer.endpointLabel]?.stringValue == "risk")

    // Moving traffic changes the ConfigMap and nothing else.
    let before = try await Self.versions(client)
    _ = try await provider.apply(
      ApplyRequest(
        operation: .publishEndpoint(
          Self.endpoint(traffic: ["blue": 0, "green": 100], target: settings), previous: published.outputs)))
    let afterWeights = try await Self.versions(client)
    #expect(Set(before.keys) == Set(afterWeights.keys))
    #expect(before.keys.filter { before[$0] != afterWeights[$0] } == ["ConfigMap/risk-routes"])
    routes = try await Self.routes(client)
    #expect(routes.traffic == ["blue": 0, "green": 100])

    // Regenerating a key changes the Secret and nothing else; the other key is kept.
    let publisher = EndpointPublisher(provider: provider, client: client, progress: { _ in })
    let newFingerprint = try await publisher.regenerate("risk", keyType: "primary")
    #expect(.string(newFingerprint) != fingerprint)
    let afterKeys = try await Self.versions(client)
    #expect(afterWeights.keys.filter { afterWeights[$0] != afterKeys[$0] } == ["Secret/risk-keys"])
    let rotatedSecret = try #require(try await client.get(.secret, "risk-keys", namespace: "ml-prod"))
    let rotated = try #require(EndpointSecrets.readKeys(rotatedSecret))
    #expect(rotated.secondaryKey == keys.secondaryKey && rotated.primaryKey != keys.primaryKey)

    // Observation reports the weights in force and the fingerprint; a key changed by hand shows as a new one.
    let observed = try await provider.observe(
      ObserveRequest(
        computeTargetName: "aks-prod", computeTarget: ComputeTargetSpec(type: .kubernetes, settings: settings),
        services: [], endpoints: [ObservedService(name: "risk", recordedOutputs: published.outputs)]))
    let observation = try #require(observed.endpoints["risk"])
    #expect(observation.attributes["routes.green"] == .int(100))
    #expect(observation.attributes["key_fingerprint"] == .string(newFingerprint))

    // A member deleted leaves the routes; then the endpoint is deleted and nothing of it is left.
    let green = try await provider.apply(ApplyRequest(operation: .deploy(Self.member("green", target: settings))))
    _ = try await provider.apply(ApplyRequest(operation: .delete(name: "green", previous: green.outputs)))
    #expect(try await Self.routes(client).deployments.map(\.name) == ["blue"])
    _ = try await provider.apply(ApplyRequest(operation: .deleteEndpoint(name: "risk", previous: published.outputs)))
    #expect(try await Self.versions(client).isEmpty)
  }

  @Test func ingressWithTLSFromEnvironmentCreatesTheSecretAndAnHTTPSAddress() async throws {
    let (double, _, settings) = try await ProviderTests.provisioned()
    defer { Task { await double.stop() } }
    let provider = ProviderTests.provider(["RISK_CERT": "-----BEGIN CERTIFICATE-----", "RISK_KEY": "-----BEGIN KEY-----"])
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }
    let endpoint = Self.endpoint(
      cluster: ClusterEndpointSettings(
        exposure: .ingress, host: "risk.example.com", tlsCertEnv: "RISK_CERT", tlsKeyEnv: "RISK_KEY"),
      target: settings)
    let lines = LinesCollector()
    let published = try await provider.apply(
      ApplyRequest(operation: .publishEndpoint(endpoint, previous: nil), progress: { lines.add($0) }))
    #expect(published.outputs["scoring_uri"] == .string("https://risk.example.com/score"))
    let tls = try #require(try await client.get(.secret, "risk-tls", namespace: "ml-prod"))
    #expect(tls["type"]?.stringValue == "kubernetes.io/tls")
    let ingress = try #require(try await client.get(.ingress, "risk-gateway", namespace: "ml-prod"))
    #expect(ingress["spec"]?["tls"]?[0]?["secretName"]?.stringValue == "risk-tls")
    let said = lines.all.joined(separator: "\n") + published.message + "\(published.outputs)"
    #expect(!said.contains("BEGIN KEY"), "the private key is never printed or recorded")

    // Back to cluster-only exposure: the Ingress goes, the rest stays.
    _ = try await provider.apply(
      ApplyRequest(operation: .publishEndpoint(Self.endpoint(target: settings), previous: published.outputs)))
    #expect(try await client.get(.ingress, "risk-gateway", namespace: "ml-prod") == nil)
    #expect(try await client.get(.deployment, "risk-gateway", namespace: "ml-prod") != nil)

    // Without the variables: an error naming the variable, never a value.
    let bare = ProviderTests.provider()
    await #expect(throws: TargetError.self) {
      _ = try await bare.apply(ApplyRequest(operation: .publishEndpoint(endpoint, previous: nil)))
    }
  }

  @Test func aLoadBalancerEndpointWaitsForItsAddressAndRecordsIt() async throws {
    let (double, provider, settings) = try await ProviderTests.provisioned()
    defer { Task { await double.stop() } }
    let lines = LinesCollector()
    let published = try await provider.apply(
      ApplyRequest(
        operation: .publishEndpoint(
          Self.endpoint(cluster: ClusterEndpointSettings(exposure: .loadBalancer), target: settings), previous: nil),
        progress: { lines.add($0) }))
    #expect(published.outputs["scoring_uri"] == .string("http://203.0.113.10/score"))
    #expect(lines.all.contains("waiting for the load balancer address of ml-prod/risk-gateway"), "\(lines.all)")
  }

  @Test func aServiceWithAuthAndNoEndpointGetsAGatewayOfItsOwn() async throws {
    let (double, provider, settings) = try await ProviderTests.provisioned()
    defer { Task { await double.stop() } }
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }
    let target = settings.merging(["gateway_image": .string(Self.gatewayImage)]) { $1 }
    let secured = Samples.deployment(settings: ["num_replicas": .int(2), "auth_enabled": .bool(true)], target: target)
    let deployed = try await provider.apply(ApplyRequest(operation: .deploy(secured)))
    #expect(deployed.outputs["scoring_uri"] == .string("http://iris-aks-gateway.ml-prod.svc.cluster.local/score"))
    #expect(deployed.outputs["auth_mode"] == .string("key"))
    #expect(deployed.outputs["key_fingerprint"] != nil)
    #expect(deployed.outputs["gateway_endpoint"] == .string("iris-aks"))
    let configMap = try #require(try await client.get(.configMap, "iris-aks-routes", namespace: "ml-prod"))
    let table = try #require(configMap["data"]?["gateway.json"]?.stringValue)
    #expect(table.contains("iris-aks.ml-prod.svc.cluster.local:80"))
    #expect(try await client.get(.networkPolicy, "iris-aks-scoring", namespace: "ml-prod") != nil)
    let pods = try #require(try await client.get(.deployment, "iris-aks", namespace: "ml-prod"))
    #expect(pods["spec"]?["template"]?["metadata"]?["labels"]?[EndpointRenderer.endpointLabel]?.stringValue == "iris-aks")

    // The credentials are read from the Secret through the provider, as the CLI does.
    let material = try await provider.endpointSecrets(name: "iris-aks", recorded: deployed.outputs)
    #expect(material.fingerprint.map(FieldValue.string) == deployed.outputs["key_fingerprint"])

    // Observation carries the gateway's key fingerprint: a key rotated in the cluster by hand is seen.
    let publisher = EndpointPublisher(provider: provider, client: client, progress: { _ in })
    let handRotated = try await publisher.regenerate("iris-aks", keyType: "primary")
    let observed = try await ProviderTests.observe(provider, target, ["iris-aks": deployed.outputs])
    #expect(observed.services["iris-aks"]?.attributes["key_fingerprint"] == .string(handRotated))
    #expect(observed.services["iris-aks"]?.attributes["key_fingerprint"] != deployed.outputs["key_fingerprint"])

    // Auth switched off: the gateway's objects are pruned, the service answers on its own address again.
    let open = Samples.deployment(settings: ["num_replicas": .int(2)], target: target, revision: "rev000000002")
    let updated = try await provider.apply(ApplyRequest(operation: .update(open, previous: deployed.outputs)))
    #expect(updated.outputs["scoring_uri"] == .string("http://iris-aks.ml-prod.svc.cluster.local/score"))
    for (kind, name) in [(KubeKind.deployment, "iris-aks-gateway"), (.configMap, "iris-aks-routes"), (.secret, "iris-aks-keys")] {
      #expect(try await client.get(kind, name, namespace: "ml-prod") == nil, "\(kind) \(name) left")
    }

    // On again, then deleted: nothing of the service or its gateway is left.
    let again = try await provider.apply(
      ApplyRequest(
        operation: .update(
          Samples.deployment(
            settings: ["num_replicas": .int(2), "token_auth_enabled": .bool(true)], target: target, revision: "rev000000003"),
          previous: updated.outputs)))
    #expect(again.outputs["auth_mode"] == .string("aml_token"))
    _ = try await provider.apply(ApplyRequest(operation: .delete(name: "iris-aks", previous: again.outputs)))
    for (kind, name) in [
      (KubeKind.deployment, "iris-aks"), (.deployment, "iris-aks-gateway"), (.configMap, "iris-aks-routes"),
      (.secret, "iris-aks-keys"), (.networkPolicy, "iris-aks-scoring"), (.service, "iris-aks-gateway"),
    ] {
      #expect(try await client.get(kind, name, namespace: "ml-prod") == nil, "\(kind) \(name) left")
    }
  }
}
