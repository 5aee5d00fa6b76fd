import BerthGraph
import BerthModel
import Testing

/// The graph is pure: these tests build resources in memory, no files.
@Suite struct GraphBuilderTests {
  func resource(_ address: ResourceAddress, _ spec: ResourceSpec, dependsOn: [ResourceAddress] = []) -> Resource {
    Resource(
      address: address, dependsOn: dependsOn, spec: spec,
      location: SourceLocation(file: "m.yaml", line: 1, column: 1), baseDirectory: "/m")
  }

  func service(_ name: String, target: String = "local", port: Int, dependsOn: [ResourceAddress] = []) -> Resource {
    resource(
      ResourceAddress(.service, name),
      .service(
        ServiceSpec(
          computeTarget: target, models: [ModelReference(name: "m")], inferenceConfig: "ic", deployment: ["port": .int(port)])),
      dependsOn: dependsOn)
  }

  var base: [Resource] {
    [
      resource(ResourceAddress(.model, "m"), .model(ModelSpec(path: "m.pkl"))),
      resource(ResourceAddress(.environment, "e"), .environment(EnvironmentSpec(condaFile: "c.yaml"))),
      resource(
        ResourceAddress(.inferenceConfig, "ic"),
        .inferenceConfig(InferenceConfigSpec(sourceDirectory: "src", entryScript: "s.py", environment: "e"))),
      resource(ResourceAddress(.computeTarget, "local"), .computeTarget(ComputeTargetSpec(type: .local))),
    ]
  }

  @Test func dependenciesComeFirstInOrder() {
    let (graph, diagnostics) = GraphBuilder.build(base + [service("web", port: 8000)])
    #expect(diagnostics.isEmpty)
    let order = graph.order.map(\.description)
    #expect(order.firstIndex(of: "environment/e")! < order.firstIndex(of: "inferenceconfig/ic")!)
    #expect(order.firstIndex(of: "inferenceconfig/ic")! < order.firstIndex(of: "service/web")!)
    #expect(order.firstIndex(of: "model/m")! < order.firstIndex(of: "service/web")!)
    #expect(graph.dependents(of: ResourceAddress(.model, "m")) == [ResourceAddress(.service, "web")])
  }

  @Test func orderIsDeterministicWhateverTheInputOrder() {
    let resources = base + [service("b", port: 8001), service("a", port: 8002)]
    let first = GraphBuilder.build(resources).graph.order
    let second = GraphBuilder.build(resources.reversed()).graph.order
    #expect(first == second)
  }

  @Test func cyclesAreReportedByName() {
    let a = ResourceAddress(.service, "a")
    let b = ResourceAddress(.service, "b")
    let (graph, diagnostics) = GraphBuilder.build(
      base + [service("a", port: 8001, dependsOn: [b]), service("b", port: 8002, dependsOn: [a])])
    #expect(diagnostics.map(\.message) == ["dependency cycle: service/a → service/b → service/a"])
    #expect(!graph.order.contains(a))
  }

  @Test func missingReferencesSuggestTheClosestName() {
    let broken = resource(
      ResourceAddress(.service, "web"),
      .service(ServiceSpec(computeTarget: "locl", models: [ModelReference(name: "m")], inferenceConfig: "ic", deployment: [:])))
    let (_, diagnostics) = GraphBuilder.build(base + [broken])
    #expect(diagnostics.map(\.message) == ["unknown compute target 'locl'"])
    #expect(diagnostics.first?.hint == "did you mean 'local'?")
  }

  @Test func referencesToInvalidResourcesAreNotReportedTwice() {
    let (_, diagnostics) = GraphBuilder.build(
      Array(base.dropFirst()) + [service("web", port: 8000)], invalid: [ResourceAddress(.model, "m")])
    #expect(diagnostics.isEmpty)
  }

  @Test func condaSolverIsRefusedForContainerTargetsAtItsLine() {
    let environment = Resource(
      address: ResourceAddress(.environment, "e"),
      spec: .environment(EnvironmentSpec(condaFile: "c.yaml", resolution: EnvironmentResolution(solver: .conda))),
      location: SourceLocation(file: "env.yaml", line: 1, column: 1),
      fieldLocations: ["solver": SourceLocation(file: "env.yaml", line: 6, column: 11)], baseDirectory: "/m")
    let resources =
      base.filter { $0.address.kind != .environment } + [
        environment,
        resource(ResourceAddress(.workspace, "w"), .workspace(WorkspaceSpec(registry: RegistryReference(address: "r.example")))),
        resource(ResourceAddress(.computeTarget, "aks"), .computeTarget(ComputeTargetSpec(type: .kubernetes))),
        service("local-web", port: 8000),
        resource(
          ResourceAddress(.service, "aks-web"),
          .service(ServiceSpec(computeTarget: "aks", models: [ModelReference(name: "m")], inferenceConfig: "ic"))),
      ]
    let diagnostics = GraphBuilder.build(resources).diagnostics
    #expect(diagnostics.count == 1)
    #expect(diagnostics.first?.location == SourceLocation(file: "env.yaml", line: 6, column: 11))
    #expect(diagnostics.first?.message.hasPrefix("environment 'e' asks for 'solver: conda', but service 'aks-web'") == true)
  }
}
