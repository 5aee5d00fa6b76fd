import BerthKit
import BerthManifest
import BerthModel
import BerthPlan
import BerthState
import BerthTesting
import Foundation
import Testing

/// Endpoints from the manifests to the plan: a valid blue/green endpoint validates cleanly, planning it on a
/// target whose provider serves no endpoints is refused at the kind's line, and `berth endpoints` reports it.
@Suite struct EndpointTests {
  static let folder = TestPaths.fixtures.appendingPathComponent("valid/endpoint-blue-green")

  @Test func blueGreenEndpointValidatesWithoutDiagnostics() throws {
    let validation = Validation.run(path: Self.folder.path, displayPath: "endpoint-blue-green")
    #expect(validation.diagnostics.isEmpty, "\(validation.diagnostics.map(\.description).joined(separator: "\n"))")
    let endpoint = try #require(validation.graph.endpoint(named: "scoring"))
    #expect(endpoint.authMode == .key)
    #expect(endpoint.traffic == ["blue": 90, "green": 10])
    #expect(endpoint.mirrorTraffic == ["shadow": 20])
    #expect(endpoint.effectiveListenAddress == "127.0.0.1")
    // Edges: endpoint → compute target; service → endpoint.
    #expect(validation.graph.dependencies[ResourceAddress(.endpoint, "scoring")] == [ResourceAddress(.computeTarget, "dev")])
    #expect(
      validation.graph.dependencies[ResourceAddress(.service, "blue")]?.contains(ResourceAddress(.endpoint, "scoring")) == true)
  }

  /// The same endpoint on a target of `type` (a container target: the workspace names a registry).
  func on(_ type: String, gatewayImage: String? = nil, registry: Bool = true) throws -> ScratchDirectory {
    let scratch = try ScratchDirectory("endpoint-\(type)")
    try FileManager.default.removeItem(atPath: scratch.path)
    try FileManager.default.copyItem(atPath: Self.folder.path, toPath: scratch.path)
    let manifest = scratch.path + "/berth.yaml"
    let text =
      try String(contentsOfFile: manifest, encoding: .utf8)
      .replacingOccurrences(
        of: "  type: local\n",
        with: "  type: \(type)\n" + (gatewayImage.map { "  gateway_image: \($0)\n" } ?? "")
      )
      .replacingOccurrences(of: "  port: 8900\n", with: "")
      + (registry
        ? "---\napiVersion: berth/v1\nkind: Workspace\nmetadata:\n  name: ws\nspec:\n  registry:\n    address: registry.example.com\n"
        : "")
    try text.write(toFile: manifest, atomically: true, encoding: .utf8)
    return scratch
  }

  @Test func planRefusesAnEndpointNoProviderServesAtItsKindLine() async throws {
    let scratch = try on("iotedge")
    let store = InMemoryStateStore()
    let reconciler = Reconciler(
      targets: { _ in
        Targets(providers: [RecordingTargetProvider(type: .iotedge)], environmentBuilder: FakeEnvironmentBuilder())
      },
      openState: { _, _ in store })
    let (prepared, diagnostics) = try await reconciler.prepare(path: scratch.path, observe: false)
    let context = try #require(prepared, "\(diagnostics)")
    let plan = reconciler.plan(context)
    let errors = plan.diagnostics.filter { $0.severity == .error }
    #expect(errors.count == 1, "\(errors)")
    let error = try #require(errors.first)
    #expect(
      error.message
        == "endpoint 'scoring' is on compute target 'dev' of type iotedge, where no provider of this build serves endpoints yet"
    )
    #expect(error.location?.line == 32, "the Endpoint's `kind:` line")
    #expect(error.hint?.contains("auth_mode") == true)
    // The plan still shows what an apply would do, with the endpoint's traffic as fields.
    let action = try #require(plan.actions.first { $0.address == ResourceAddress(.endpoint, "scoring") })
    #expect(action.kind == .provision)
    #expect(action.changes.map(\.path).contains("traffic.blue"))
  }

  @Test func kubernetesServesEndpointsWithAGatewayImageNamedOrBuilt() async throws {
    let image = "registry.example.com/berth/gateway@sha256:" + String(repeating: "0", count: 64)
    let store = InMemoryStateStore()
    let reconciler = Reconciler(
      targets: { _ in
        Targets(providers: [RecordingTargetProvider(type: .kubernetes)], environmentBuilder: FakeEnvironmentBuilder())
      },
      openState: { _, _ in store })
    // No registry to push a built gateway image to, and none named: an error.
    let withoutImage = try on("kubernetes", registry: false)
    let (unnamed, missing) = try await reconciler.prepare(path: withoutImage.path, observe: false)
    #expect(unnamed == nil)
    #expect(missing.contains { $0.message == "endpoint 'scoring' on kubernetes target 'dev' needs a gateway image" })
    // A registry: apply builds the image; the plan has no error.
    let toBuild = try on("kubernetes")
    let (built, builtDiagnostics) = try await reconciler.prepare(path: toBuild.path, observe: false)
    let builtContext = try #require(built, "\(builtDiagnostics)")
    #expect(reconciler.plan(builtContext).diagnostics.filter { $0.severity == .error }.isEmpty)
    let withImage = try on("kubernetes", gatewayImage: image)
    let (prepared, diagnostics) = try await reconciler.prepare(path: withImage.path, observe: false)
    let context = try #require(prepared, "\(diagnostics)")
    let plan = reconciler.plan(context)
    #expect(plan.diagnostics.filter { $0.severity == .error }.isEmpty, "\(plan.diagnostics)")
    let action = try #require(plan.actions.first { $0.address == ResourceAddress(.endpoint, "scoring") })
    #expect(action.changes.contains { $0.path == "gateway_image" })
    #expect(action.changes.contains { $0.path == "exposure" })
  }

  /// On local the gateway serves endpoints: the plan has no error, and publishes the endpoint before its deployments.
  @Test func planOnLocalPublishesTheEndpointBeforeItsDeployments() async throws {
    let store = InMemoryStateStore()
    let provider = InMemoryTargetProvider(type: .local)
    let reconciler = Reconciler(
      targets: { _ in Targets(providers: [provider], environmentBuilder: FakeEnvironmentBuilder()) },
      openState: { _, _ in store })
    let (prepared, diagnostics) = try await reconciler.prepare(path: Self.folder.path, observe: false)
    let context = try #require(prepared, "\(diagnostics)")
    let plan = reconciler.plan(context)
    #expect(!plan.diagnostics.hasErrors, "\(plan.diagnostics)")
    let order = plan.actions.map(\.address)
    let endpoint = try #require(order.firstIndex(of: ResourceAddress(.endpoint, "scoring")))
    for service in ["blue", "green", "shadow"] {
      let index = try #require(order.firstIndex(of: ResourceAddress(.service, service)))
      #expect(endpoint < index, "\(service) deploys after its endpoint is published")
    }
    let summary = try await reconciler.apply(plan, context: context, parallelism: 4) { _ in }
    #expect(summary.isSuccess)
    let recorded = try await store.snapshot()
    #expect(
      recorded.resources[ResourceAddress(.endpoint, "scoring")]?.outputs["scoring_uri"] == .string("memory://scoring/score"))
  }

  @Test func reportsShowWhatIsDeclaredAndWhatIsRecorded() throws {
    let validation = Validation.run(path: Self.folder.path)
    let recordedOnly = ResourceAddress(.endpoint, "retired")
    let state = StateSnapshot(resources: [
      recordedOnly: ResourceRecord(
        address: recordedOnly, attributes: ["traffic.old": .int(100)],
        outputs: ["scoring_uri": .string("http://127.0.0.1:8905/score")],
        updatedAt: Date(timeIntervalSince1970: 0))
    ])
    let reports = EndpointReport.all(graph: validation.graph, state: state)
    #expect(reports.map(\.name) == ["retired", "scoring"])
    let scoring = try #require(reports.last?.declared)
    #expect(scoring.deployments == ["blue", "green", "shadow"])
    #expect(scoring.listen == "127.0.0.1:8900")
    #expect(EndpointReport.shares(scoring.traffic) == "blue 90 %, green 10 %")
    #expect(reports.last?.recorded == nil)
    #expect(reports.first?.declared == nil)
    #expect(reports.first?.scoringURI == "http://127.0.0.1:8905/score")
    #expect(EndpointReport.recordedShares(reports.first!.recorded!, prefix: "traffic") == ["old": 100])
  }

  @Test func servicesReportNamesTheRecordedEndpoint() async throws {
    let blue = ResourceAddress(.service, "blue")
    let standalone = ResourceAddress(.service, "standalone")
    let store = InMemoryStateStore(
      StateSnapshot(resources: [
        blue: ResourceRecord(
          address: blue, attributes: ["compute_target": .string("dev"), "endpoint": .string("scoring")], outputs: [:],
          updatedAt: Date(timeIntervalSince1970: 0)),
        standalone: ResourceRecord(
          address: standalone, attributes: ["compute_target": .string("dev")], outputs: [:],
          updatedAt: Date(timeIntervalSince1970: 0)),
      ]))
    let reconciler = Reconciler(
      targets: { _ in Targets(providers: [RecordingTargetProvider(type: .local)]) }, openState: { _, _ in store })
    let reports = try await reconciler.services(path: Self.folder.path)
    #expect(reports.map(\.name) == ["blue", "standalone"])
    #expect(reports.map(\.endpoint) == ["scoring", nil])
  }

  @Test func keyAuthDefaultsFollowTheSeed() {
    #expect(TargetSupport.keyAuthDefault(on: .local) == false)
    #expect(TargetSupport.keyAuthDefault(on: .kubernetes) == true)
  }

  @Test func everyHonouredSettingIsADeploymentField() {
    for (type, fields) in TargetSupport.honouredSettings {
      for field in fields {
        #expect(ManifestSchema.deployment.field(named: field) != nil, "\(type): \(field)")
        let applies = ManifestSchema.deploymentFieldTargets[field]
        #expect(applies == nil || applies!.contains(type), "\(field) is honoured on \(type) but does not apply there")
      }
    }
  }

  @Test func honouredSettingsDrawNoWarningAndSwitchesOffDrawNone() {
    let spec = ServiceSpec(
      computeTarget: "dev", models: [], inferenceConfig: "scoring",
      deployment: [
        "port": .int(8890), "worker_count": .int(2), "auth_enabled": .bool(false), "collect_model_data": .bool(true),
        "replica_max_concurrent_requests": .int(2), "liveness_probe.period_seconds": .int(5),
      ])
    // liveness_probe does not apply to local at all: an error elsewhere, not an "ignored" warning.
    #expect(TargetSupport.ignoredSettings(spec, on: .local) == [], "the gateway enforces them on local")
    #expect(TargetSupport.ignoredSettings(spec, on: .kubernetes) == ["collect_model_data", "replica_max_concurrent_requests"])
    // ACI runs no gateway yet: the limits and data collection are not honoured there.
    #expect(TargetSupport.ignoredSettings(spec, on: .aci) == ["collect_model_data", "replica_max_concurrent_requests"])
  }
}
