import BerthKit
import BerthModel
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

@testable import BerthImage

/// `apply` builds and pushes before it calls a container target, and `berth build` pushes the image apply would.
@Suite(.serialized, .enabled(if: ImageTests.toolsAvailable, ImageTests.unavailable))
struct ApplyBuildsImageTests {
  @Test func buildBeforeApplyAndApplyAgreeOnTheDigest() async throws {
    let registry = try await TestRegistry.anonymous()
    let base = try await registry.pushBaseImage()
    let folder = try ContainerServiceManifests.write(in: try ImageTests.scratch("apply"), registry: registry, base: base)
    let kubernetes = RecordingTargetProvider(type: .kubernetes)
    let reconciler = Reconciler(
      targets: { workspace in Targets(providers: [kubernetes], imageBuilder: Composition.imageBuilder(for: workspace)) },
      openState: Composition.openState)

    // `berth build` before anything is registered: the model version the plan would register.
    let lines = LineCollector()
    let early = try await reconciler.buildImage(service: "diabetes-aks", path: folder, progress: { lines.append($0) })
    #expect(early.image.reference.hasPrefix("\(registry.address)/berth/diabetes-aks@sha256:"))
    #expect(lines.lines.contains { $0.hasPrefix("model diabetes-ridge:1 layer") })

    let (prepared, diagnostics) = try await reconciler.prepare(path: folder)
    let context = try #require(prepared, "\(diagnostics)")
    let plan = reconciler.plan(context)
    let summary = try await reconciler.apply(plan, context: context, parallelism: 2, events: { _ in })
    #expect(summary.isSuccess)

    let deployed = kubernetes.applyRequests.compactMap { operation -> ServiceDeployment? in
      if case .deploy(let deployment) = operation { return deployment }
      return nil
    }
    let deployment = try #require(deployed.first)
    let image = try #require(deployment.image)
    #expect(image.digest == early.image.digest, "apply pushes the image `berth build` pushed")
    #expect(image.reference == early.image.reference)
    #expect(image.registry == registry.address)

    let state = try await context.store.snapshot()
    let outputs = try #require(state.resources[ResourceAddress(.service, "diabetes-aks")]?.outputs)
    #expect(outputs["image.digest"] == .string(image.digest))
    #expect(outputs["image.reference"] == .string(image.reference))
  }

  @Test func localServicesAreNotBuilt() async throws {
    let reconciler = Reconciler.standard()
    do {
      _ = try await reconciler.buildImage(
        service: "diabetes-local", path: ImageTests.repositoryRoot + "/manifests/examples/diabetes", progress: { _ in })
      Issue.record("expected an error")
    } catch let error as BuildError {
      #expect(error == .localService("diabetes-local"))
    }
    do {
      _ = try await reconciler.buildImage(
        service: "nope", path: ImageTests.repositoryRoot + "/manifests/examples/diabetes", progress: { _ in })
      Issue.record("expected an error")
    } catch let error as BuildError {
      #expect(error.description == "no service 'nope' in the manifests\n  hint: services: diabetes-local")
    }
  }
}
