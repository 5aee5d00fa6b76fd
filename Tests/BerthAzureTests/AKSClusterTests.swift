import BerthModel
import BerthTargetAKS
import BerthTargetAPI
import BerthTargetKubernetes
import BerthTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// AKS clusters created, attached, observed and deleted through the ARM double, and services deployed into them through
/// the Kubernetes API double, with the kubeconfig fetched by `listClusterUserCredential` and never written to disk.
@Suite(.serialized) struct AKSClusterTests {
  static let kubeToken = "aks-user-token-not-printed"
  static let subscription = ACISamples.subscription
  static let clusterPath =
    "/subscriptions/\(subscription)/resourceGroups/ml-prod/providers/Microsoft.ContainerService/managedClusters/aks-prod"

  /// Both doubles, the ARM one handing out kubeconfigs for the Kubernetes one.
  struct Doubles {
    let arm: ARMDouble
    let kube: ChildProcess
    let kubeURL: String

    static func start(polls: Int = 1) async throws -> Doubles {
      let arm = try await ARMDouble(polls: polls)
      let script = RepositoryPaths.root.appendingPathComponent("Tests/BerthTargetKubernetesTests/Double/kube_double.py").path
      let kube = try ChildProcess(
        executable: "/usr/bin/env", arguments: ["python3", script, "--kube-version", "1.30.0", "--token", kubeToken])
      let line = try await kube.line(startingWith: "LISTENING ")
      let url = "http://127.0.0.1:" + line.dropFirst("LISTENING ".count)
      try arm.control("POST", "aks", body: #"{"server": "\#(url)", "token": "\#(kubeToken)"}"#)
      return Doubles(arm: arm, kube: kube, kubeURL: url)
    }

    func stop() async {
      await arm.stop()
      await kube.kill()
    }

    /// Objects stored in the Kubernetes double, as `Kind namespace/name`.
    func kubeObjects() throws -> [String] {
      let data = try Data(contentsOf: URL(string: kubeURL + "/_double/objects")!)
      let objects = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
      return objects.compactMap { object in
        guard let kind = object["kind"] as? String, let meta = object["metadata"] as? [String: Any],
          let name = meta["name"] as? String
        else { return nil }
        return "\(kind) \((meta["namespace"] as? String).map { $0 + "/" } ?? "")\(name)"
      }
    }
  }

  static func settings(_ arm: ARMDouble, _ extra: [String: FieldValue] = [:]) -> [String: FieldValue] {
    [
      "subscription_id": .string(subscription), "resource_group": .string("ml-prod"), "location": .string("westeurope"),
      "resource_manager": .string(arm.url), "agent_count": .int(3), "vm_size": .string("Standard_D4s_v5"),
      "kubernetes_version": .string("1.30.0"), "namespace": .string("ml-prod"),
    ].merging(extra) { $1 }
  }

  static func provider(_ arm: ARMDouble) -> KubernetesTargetProvider {
    KubernetesTargetProvider(
      environment: arm.environment,
      timings: KubernetesTimings(pollInterval: .milliseconds(20), rolloutSlack: .seconds(5), deleteTimeout: .seconds(10)),
      clusters: AKSClusters(environment: arm.environment, pollInterval: .milliseconds(20)))
  }

  static func deployment(_ settings: [String: FieldValue]) -> ServiceDeployment {
    var deployment = ACISamples.deployment("risk", target: settings, revision: "rev000000001", image: ACISamples.image("a"))
    deployment.computeTargetName = "aks-prod"
    deployment.computeTarget = ComputeTargetSpec(type: .kubernetes, settings: settings)
    deployment.image?.usernameEnv = nil
    deployment.image?.passwordEnv = nil
    return deployment
  }

  @Test func provisionCreatesTheClusterAndServicesDeployIntoIt() async throws {
    let doubles = try await Doubles.start()
    defer { Task { await doubles.stop() } }
    let provider = Self.provider(doubles.arm)
    let settings = Self.settings(doubles.arm)
    let spec = ComputeTargetSpec(type: .kubernetes, settings: settings)
    let lines = FlowLines()
    let created = try await provider.apply(
      ApplyRequest(operation: .provision(name: "aks-prod", spec), progress: { lines.add($0) }))
    #expect(created.message.hasPrefix("created AKS cluster aks-prod in ml-prod"), "\(created.message)")
    #expect(created.outputs["resource_id"] == .string(Self.clusterPath))
    #expect(created.outputs["kubernetes_version_running"] == .string("1.30.0"))
    #expect(created.outputs["api_server"] == .string(doubles.kubeURL))
    #expect(lines.all.contains("creating AKS cluster aks-prod: 3 × Standard_D4s_v5, FastProd, Kubernetes 1.30.0"))

    // What ARM was asked for: one system pool, a managed identity, the Standard tier for FastProd.
    let cluster = try doubles.arm.control("GET", "resource?path=\(Self.clusterPath)")
    let properties = try #require(cluster["properties"] as? [String: Any])
    let pool = try #require((properties["agentPoolProfiles"] as? [[String: Any]])?.first)
    #expect(pool["count"] as? Int == 3)
    #expect(pool["vmSize"] as? String == "Standard_D4s_v5")
    #expect(pool["mode"] as? String == "System")
    #expect((cluster["sku"] as? [String: Any])?["tier"] as? String == "Standard")
    #expect((cluster["identity"] as? [String: Any])?["type"] as? String == "SystemAssigned")
    #expect(properties["dnsPrefix"] as? String == "aks-prod")
    // The resource group was created first, in the cluster's region.
    let group = try doubles.arm.control("GET", "resource?path=/subscriptions/\(Self.subscription)/resourceGroups/ml-prod")
    #expect(group["location"] as? String == "westeurope")

    // The Kubernetes side of provisioning ran in the new cluster, reached with the fetched credential.
    #expect(try doubles.kubeObjects().contains("Namespace ml-prod"))
    let deployed = try await provider.apply(ApplyRequest(operation: .deploy(Self.deployment(settings))))
    #expect(try doubles.kubeObjects().contains("Deployment ml-prod/risk"))
    // The service records how to reach its cluster without the manifests (for a delete after the target is gone).
    #expect(deployed.outputs["target.resource_group"] == .string("ml-prod"))
    #expect(deployed.outputs["target.resource_manager"] == .string(doubles.arm.url))
    // One credential call served the provision and the deploy (kept in memory).
    #expect(try doubles.arm.stats()["aks credential"] == 1)

    // Applied again, nothing is sent to ARM: the cluster is as declared.
    let again = try await provider.apply(ApplyRequest(operation: .provision(name: "aks-prod", spec)))
    #expect(again.message.hasPrefix("AKS cluster aks-prod is as declared"), "\(again.message)")
    #expect(try doubles.arm.stats()["aks put"] == 1)

    // The kubeconfig and the token never reach outputs, messages or progress; no kubeconfig file was written.
    let everything = "\(created.outputs) \(deployed.outputs) \(created.message) \(lines.all)"
    #expect(!everything.contains(Self.kubeToken))
    #expect(!everything.contains(ARMDouble.clientSecret))
  }

  @Test func aClusterScaledOutsideBerthIsObservedAndScaledBack() async throws {
    let doubles = try await Doubles.start()
    defer { Task { await doubles.stop() } }
    let provider = Self.provider(doubles.arm)
    let settings = Self.settings(doubles.arm)
    let spec = ComputeTargetSpec(type: .kubernetes, settings: settings)
    _ = try await provider.apply(ApplyRequest(operation: .provision(name: "aks-prod", spec)))
    let request = ObserveRequest(computeTargetName: "aks-prod", computeTarget: spec, services: [])
    #expect(try await provider.observe(request).computeTarget?.health == .healthy)

    try doubles.arm.control("POST", "aks", body: #"{"scale": {"path": "\#(Self.clusterPath)", "count": 5}}"#)
    let drifted = try #require(try await provider.observe(request).computeTarget)
    #expect(drifted.health == .degraded)
    #expect(drifted.message == "agent_count 5 on Azure, 3 declared")

    let repaired = try await provider.apply(ApplyRequest(operation: .provision(name: "aks-prod", spec)))
    #expect(repaired.message.hasPrefix("updated AKS cluster aks-prod"), "\(repaired.message)")
    #expect(try await provider.observe(request).computeTarget?.health == .healthy)

    // Deleted outside Berth: observed missing, with the services that ran on it.
    try doubles.arm.control("POST", "remove", body: #"{"path": "\#(Self.clusterPath)"}"#)
    let gone = try await provider.observe(
      ObserveRequest(
        computeTargetName: "aks-prod", computeTarget: spec,
        services: [ObservedService(name: "risk", recordedOutputs: [:])]))
    #expect(gone.computeTarget?.health == .missing)
    #expect(gone.services["risk"]?.health == .missing)
  }

  @Test func aFailedOperationCarriesARMsCodeAndTheNextApplyRetries() async throws {
    let doubles = try await Doubles.start()
    defer { Task { await doubles.stop() } }
    let provider = Self.provider(doubles.arm)
    let spec = ComputeTargetSpec(type: .kubernetes, settings: Self.settings(doubles.arm))
    try doubles.arm.control("POST", "aks", body: #"{"failing": true}"#)
    await #expect {
      _ = try await provider.apply(ApplyRequest(operation: .provision(name: "aks-prod", spec)))
    } throws: { error in
      "\(error)".contains("QuotaExceeded") && "\(error)".contains("creating AKS cluster aks-prod")
    }
    let observed = try await provider.observe(ObserveRequest(computeTargetName: "aks-prod", computeTarget: spec, services: []))
    #expect(observed.computeTarget?.health == .degraded)
    #expect(observed.computeTarget?.message == "its last operation failed (provisioningState Failed)")
    // A failed cluster is PUT again, not taken as done.
    let retried = try await provider.apply(ApplyRequest(operation: .provision(name: "aks-prod", spec)))
    #expect(retried.message.hasPrefix("updated AKS cluster aks-prod"), "\(retried.message)")
    #expect(try doubles.arm.stats()["aks put"] == 2)
  }

  @Test func throttlingIsWaitedOutAndAnInterruptedProvisionResumesWithoutASecondPut() async throws {
    let doubles = try await Doubles.start(polls: 100)
    defer { Task { await doubles.stop() } }
    let provider = Self.provider(doubles.arm)
    let spec = ComputeTargetSpec(type: .kubernetes, settings: Self.settings(doubles.arm))
    try doubles.arm.inject(status: 429, count: 2, retryAfter: "0")
    let first = Task { try await provider.apply(ApplyRequest(operation: .provision(name: "aks-prod", spec))) }
    // berth is stopped as soon as its PUT is accepted, while ARM is still creating the cluster (100 polls).
    let clock = ContinuousClock()
    let deadline = clock.now + .seconds(20)
    while (try doubles.arm.stats()["aks put"] ?? 0) == 0, clock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
    first.cancel()
    let interrupted = await first.result
    #expect(try doubles.arm.stats()["fault 429"] == 2)
    #expect(try doubles.arm.stats()["aks put"] == 1)
    let lines = FlowLines()
    let resumed = try await provider.apply(
      ApplyRequest(operation: .provision(name: "aks-prod", spec), progress: { lines.add($0) }))
    #expect(
      lines.all.contains { $0.hasPrefix("cluster aks-prod is Creating; waiting for it to finish") }, "\(lines.all) \(interrupted)"
    )
    #expect(resumed.message.hasPrefix("AKS cluster aks-prod is as declared"), "\(resumed.message)")
    #expect(try doubles.arm.stats()["aks put"] == 1)
  }

  @Test func armRefusesWhatCannotChangeInPlace() async throws {
    let doubles = try await Doubles.start(polls: 0)
    defer { Task { await doubles.stop() } }
    let provider = Self.provider(doubles.arm)
    _ = try await provider.apply(
      ApplyRequest(
        operation: .provision(name: "aks-prod", ComputeTargetSpec(type: .kubernetes, settings: Self.settings(doubles.arm)))))
    let bigger = ComputeTargetSpec(
      type: .kubernetes, settings: Self.settings(doubles.arm, ["vm_size": .string("Standard_D8s_v5")]))
    await #expect {
      _ = try await provider.apply(ApplyRequest(operation: .provision(name: "aks-prod", bigger)))
    } throws: { error in
      "\(error)".contains("PropertyChangeNotAllowed: Changing property 'vmSize' is not allowed.")
    }
    let unsupported = ComputeTargetSpec(
      type: .kubernetes,
      settings: Self.settings(doubles.arm, ["kubernetes_version": .string("1.12.0"), "cluster_name": .string("aks-old")]))
    await #expect {
      _ = try await provider.apply(ApplyRequest(operation: .provision(name: "aks-prod", unsupported)))
    } throws: { error in
      "\(error)".contains("K8sVersionNotSupported")
    }
  }

  @Test func deprovisionDeletesWhatBerthCreatedAndLeavesAttachedClustersAlone() async throws {
    let doubles = try await Doubles.start(polls: 0)
    defer { Task { await doubles.stop() } }
    let provider = Self.provider(doubles.arm)
    let settings = Self.settings(doubles.arm)
    let created = try await provider.apply(
      ApplyRequest(operation: .provision(name: "aks-prod", ComputeTargetSpec(type: .kubernetes, settings: settings))))

    // Another target attaches the same cluster by id: provision reads it, deprovision forgets it.
    let attach: [String: FieldValue] = [
      "cluster_resource_id": .string(Self.clusterPath), "resource_manager": .string(doubles.arm.url),
      "namespace": .string("ml-shared"),
    ]
    let attached = try await provider.apply(
      ApplyRequest(operation: .provision(name: "aks-shared", ComputeTargetSpec(type: .kubernetes, settings: attach))))
    #expect(attached.message.hasPrefix("AKS cluster aks-prod attached"), "\(attached.message)")
    #expect(try doubles.kubeObjects().contains("Namespace ml-shared"))
    let forgotten = try await provider.apply(
      ApplyRequest(operation: .deprovision(name: "aks-shared", previous: attach.merging(attached.outputs) { $1 })))
    #expect(forgotten.message == "forgotten AKS cluster aks-prod (attached, so left running)")
    #expect(!(try doubles.arm.control("GET", "resource?path=\(Self.clusterPath)")).isEmpty)

    let deleted = try await provider.apply(
      ApplyRequest(operation: .deprovision(name: "aks-prod", previous: settings.merging(created.outputs) { $1 })))
    #expect(deleted.message == "deleted AKS cluster aks-prod from ml-prod")
    #expect(try doubles.arm.control("GET", "resource?path=\(Self.clusterPath)").isEmpty)

    // Attaching a cluster that does not exist is an error naming it.
    await #expect {
      _ = try await provider.apply(
        ApplyRequest(operation: .provision(name: "aks-shared", ComputeTargetSpec(type: .kubernetes, settings: attach))))
    } throws: { error in
      "\(error)".contains("does not exist")
    }
  }

  @Test func settingsProblemsAreNamedWithoutIO() {
    let clusters = AKSClusters(environment: [:])
    #expect(clusters.handles(["resource_group": .string("g")]))
    #expect(!clusters.handles(["kubeconfig": .string("~/.kube/config")]))
    #expect(
      clusters.problem(with: ["resource_group": .string("g")])
        == "an AKS cluster Berth creates needs subscription_id, location (or cluster_resource_id to attach one)")
    #expect(
      clusters.problem(with: [
        "resource_group": .string("g"), "subscription_id": .string("s"), "location": .string("westeurope"),
        "agent_count": .int(1),
      ]) == "cluster_purpose FastProd needs agent_count of at least 3 (got 1); use DevTest for fewer nodes")
    #expect(
      clusters.problem(with: ["cluster_resource_id": .string("/subscriptions/s/resourceGroups/g")])?.hasPrefix(
        "cluster_resource_id must be") == true)
    #expect(
      clusters.problem(with: [
        "resource_group": .string("g"), "subscription_id": .string("s"), "location": .string("westeurope"),
        "resource_manager": .string("http://example.com"),
      ])?.contains("must use https") == true)
  }
}

/// The Workspace registry attached to a cluster Berth creates, as `az aks update --attach-acr` does.
@Suite(.serialized) struct AKSRegistryAttachmentTests {
  static let registryPath =
    "/subscriptions/\(ACISamples.subscription)/resourceGroups/shared/providers/Microsoft.ContainerRegistry/registries/mlregistry"

  @Test func theKubeletIdentityGetsAcrPullOnceAndOtherRegistriesDrawAWarning() async throws {
    let doubles = try await AKSClusterTests.Doubles.start(polls: 0)
    defer { Task { await doubles.stop() } }
    try doubles.arm.control(
      "POST", "resource",
      body:
        #"{"path": "\#(Self.registryPath)", "resource": {"location": "westeurope", "type": "Microsoft.ContainerRegistry/registries", "properties": {"loginServer": "mlregistry.azurecr.io"}}}"#
    )
    let provider = AKSClusterTests.provider(doubles.arm)
    let spec = ComputeTargetSpec(
      type: .kubernetes, settings: AKSClusterTests.settings(doubles.arm),
      registry: RegistryReference(address: "MLRegistry.azurecr.io"))
    let lines = FlowLines()
    let first = try await provider.apply(
      ApplyRequest(operation: .provision(name: "aks-prod", spec), progress: { lines.add($0) }))
    #expect(lines.all.contains("granted AcrPull on mlregistry.azurecr.io to the cluster's kubelet identity"))
    #expect(first.outputs["registry_access"] == .string("AcrPull on MLRegistry.azurecr.io"))
    #expect(first.diagnostics.isEmpty)
    // The assignment as ARM holds it: AcrPull for the kubelet identity (not the cluster's own identity) on the registry.
    #expect(try doubles.arm.stats()["role 7f951dda-4ed3-4680-a7ca-43fe172d538d for kubelet of aks-prod"] == 1)
    #expect(try doubles.arm.stats()["role assignment put"] == 1)

    // Applied again: the assignment is found by its name, nothing is PUT.
    let second = try await provider.apply(ApplyRequest(operation: .provision(name: "aks-prod", spec)))
    #expect(second.diagnostics.isEmpty)
    #expect(try doubles.arm.stats()["role assignment put"] == 1)

    // A registry that is not an ACR of the subscription: the cluster is fine, the user is told what to do.
    let elsewhere = ComputeTargetSpec(
      type: .kubernetes, settings: AKSClusterTests.settings(doubles.arm),
      registry: RegistryReference(address: "otherteam.azurecr.io"))
    let warned = try await provider.apply(ApplyRequest(operation: .provision(name: "aks-prod", elsewhere)))
    #expect(
      warned.diagnostics.map(\.message) == [
        "compute target 'aks-prod': cannot give AKS cluster aks-prod pull rights on otherteam.azurecr.io: it is not a registry of subscription \(ACISamples.subscription)"
      ])
    // Not an ACR at all: nothing to grant, nothing said.
    let plain = ComputeTargetSpec(
      type: .kubernetes, settings: AKSClusterTests.settings(doubles.arm),
      registry: RegistryReference(address: "registry.example.com:5000"))
    #expect(try await provider.apply(ApplyRequest(operation: .provision(name: "aks-prod", plain))).diagnostics.isEmpty)
    #expect(try doubles.arm.stats()["role assignment put"] == 1)
  }
}
