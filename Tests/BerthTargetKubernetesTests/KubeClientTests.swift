import BerthModel
import BerthTesting
import Foundation
import Testing

@testable import BerthTargetKubernetes

/// The REST client against the API server double: server-side apply, Status errors, selectors, deletes.
@Suite(.serialized) struct KubeClientTests {
  static let namespace: JSONValue = .obj(["apiVersion": "v1", "kind": "Namespace", "metadata": .obj(["name": "ml-prod"])])

  static func service(_ name: String, labels: [String: String] = ["app.kubernetes.io/managed-by": "berth"], port: Int = 80)
    -> JSONValue
  {
    .obj([
      "apiVersion": "v1", "kind": "Service",
      "metadata": .obj(["name": .string(name), "namespace": "ml-prod", "labels": .strings(labels)]),
      "spec": .obj(["ports": .array([.obj(["port": .int(port)])])]),
    ])
  }

  @Test func applyCreatesThenUpdatesWithNewResourceVersions() async throws {
    let double = try await KubeDouble(token: "t0ken")
    defer { Task { await double.stop() } }
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }
    try await client.apply(Self.namespace)
    let first = try await client.apply(Self.service("iris"))
    let second = try await client.apply(Self.service("iris", port: 8080))
    let firstVersion = try #require(first.value(at: "metadata.resourceVersion")?.stringValue.flatMap { Int($0) })
    let secondVersion = try #require(second.value(at: "metadata.resourceVersion")?.stringValue.flatMap { Int($0) })
    #expect(secondVersion > firstVersion)
    #expect(second.value(at: "metadata.managedFields[0].manager") == .string("berth"))
    let live = try await client.get(.service, "iris", namespace: "ml-prod")
    #expect(live?.value(at: "spec.ports[0].port") == .int(8080))
  }

  @Test func missingObjectsAreNilAndBadTokensAre401() async throws {
    let double = try await KubeDouble(token: "t0ken")
    defer { Task { await double.stop() } }
    let client = try KubeClient(double.connection(token: "t0ken"))
    defer { Task { await client.shutdown() } }
    #expect(try await client.get(.deployment, "nope", namespace: "ml-prod") == nil)
    #expect(try await client.delete(.deployment, "nope", namespace: "ml-prod") == false)
    let stranger = try KubeClient(double.connection(token: "wrong"))
    defer { Task { await stranger.shutdown() } }
    do {
      _ = try await stranger.list(.service, namespace: "ml-prod")
      Issue.record("expected 401")
    } catch let error as KubernetesError {
      #expect(error.code == 401)
      #expect(!error.description.contains("wrong"), "the token never appears in errors")
    }
  }

  @Test func invalidObjectsAnswer422StatusWithTheSchemaMessage() async throws {
    let double = try await KubeDouble()
    defer { Task { await double.stop() } }
    let client = try KubeClient(double.connection())
    defer { Task { await client.shutdown() } }
    try await client.apply(Self.namespace)
    var bad = Self.service("iris")
    bad.set("spec", .obj(["portz": .array([])]))
    do {
      try await client.apply(bad)
      Issue.record("expected 422")
    } catch let error as KubernetesError {
      guard case .status(let code, let reason, let message, _) = error else { throw error }
      #expect(code == 422 && reason == "Invalid")
      #expect(message.contains("portz"))
      #expect(!error.isRetryable)
    }
  }

  @Test func dryRunValidatesWithoutStoring() async throws {
    let double = try await KubeDouble()
    defer { Task { await double.stop() } }
    let client = try KubeClient(double.connection())
    defer { Task { await client.shutdown() } }
    try await client.apply(Self.namespace)
    try await client.apply(Self.service("dry"), dryRun: true)
    #expect(try await client.get(.service, "dry", namespace: "ml-prod") == nil)
  }

  @Test func anotherManagersObjectConflictsUnlessForced() async throws {
    let double = try await KubeDouble()
    defer { Task { await double.stop() } }
    let client = try KubeClient(double.connection())
    defer { Task { await client.shutdown() } }
    try await client.apply(Self.namespace)
    try await client.apply(Self.service("shared"), force: false, fieldManager: "kubectl")
    do {
      try await client.apply(Self.service("shared", port: 81), force: false)
      Issue.record("expected 409")
    } catch let error as KubernetesError {
      #expect(error.code == 409 && error.isRetryable)
    }
    let forced = try await client.apply(Self.service("shared", port: 81), force: true)
    #expect(forced.value(at: "spec.ports[0].port") == .int(81))
  }

  @Test func listFiltersByLabelSelectorInOneCall() async throws {
    let double = try await KubeDouble()
    defer { Task { await double.stop() } }
    let client = try KubeClient(double.connection())
    defer { Task { await client.shutdown() } }
    try await client.apply(Self.namespace)
    try await client.apply(Self.service("a"))
    try await client.apply(Self.service("b", labels: ["app.kubernetes.io/managed-by": "helm"]))
    try await client.apply(Self.service("c", labels: ["app.kubernetes.io/managed-by": "berth", "tier": "x+y"]))
    try await double.resetStats()
    let managed = try await client.list(.service, namespace: "ml-prod", labelSelector: KubernetesRenderer.managedSelector)
    #expect(managed.compactMap { $0.value(at: "metadata.name")?.stringValue }.sorted() == ["a", "c"])
    let plus = try await client.list(.service, namespace: "ml-prod", labelSelector: "tier=x+y")
    #expect(plus.count == 1)
    #expect(try await double.stats()["GET services (list)"] == 2)
  }

  /// Lists come in pages of `limit` objects, follow `continue`, and start over when a continue token expired.
  @Test func listsArePagedAndRestartOnAnExpiredContinueToken() async throws {
    let double = try await KubeDouble()
    defer { Task { await double.stop() } }
    var paged = try KubeClient(double.connection())
    paged.listPageSize = 100
    let client = paged
    defer { Task { await client.shutdown() } }
    try await double.seed([Self.namespace] + (0..<250).map { Self.service(String(format: "svc-%03d", $0)) })
    try await double.seed([Self.service("foreign", labels: ["app.kubernetes.io/managed-by": "helm"])])
    try await double.resetStats()
    let listed = try await client.listAll(.service, namespace: "ml-prod", labelSelector: KubernetesRenderer.managedSelector)
    let names = listed.items.compactMap { $0.value(at: "metadata.name")?.stringValue }
    #expect(names.count == 250 && Set(names).count == 250, "every object once, the foreign one filtered out")
    #expect(names == names.sorted())
    #expect(listed.calls == 3 && listed.restarts == 0)
    #expect(try await double.stats()["GET services (list)"] == 3)

    // The second page's token has expired: the list starts over and still returns each object once.
    try await double.expireContinueTokens(1)
    let restarted = try await client.listAll(.service, namespace: "ml-prod", labelSelector: KubernetesRenderer.managedSelector)
    #expect(restarted.items.count == 250)
    #expect(restarted.restarts == 1 && restarted.calls == 5, "page 1, an expired page 2, then 3 fresh pages")

    // Tokens that keep expiring: an error after three fresh starts, not an endless loop.
    try await double.expireContinueTokens(10)
    await #expect(throws: KubernetesError.self) {
      _ = try await client.listAll(.service, namespace: "ml-prod", labelSelector: KubernetesRenderer.managedSelector)
    }
  }

  @Test func foregroundDeleteKeepsTheObjectUntilItIsCollected() async throws {
    let double = try await KubeDouble()
    defer { Task { await double.stop() } }
    let client = try KubeClient(double.connection())
    defer { Task { await client.shutdown() } }
    try await client.apply(Self.namespace)
    try await client.apply(Self.service("gone"))
    #expect(try await client.delete(.service, "gone", namespace: "ml-prod"))
    let terminating = try await client.get(.service, "gone", namespace: "ml-prod")
    #expect(terminating?.value(at: "metadata.deletionTimestamp") != nil)
    #expect(try await client.get(.service, "gone", namespace: "ml-prod") == nil)
  }

  @Test func httpsWithACustomCAAndAClientCertificate() async throws {
    let certificates = try await TestCertificates.make()
    defer { try? FileManager.default.removeItem(atPath: certificates.folder) }
    let double = try await KubeDouble(tls: certificates, requireClientCertificate: true)
    defer { Task { await double.stop() } }
    let trusted = ClusterConnection(
      server: double.url, namespace: "ml-prod", certificateAuthorityPEM: try certificates.read(certificates.authorityCertificate),
      clientCertificatePEM: try certificates.read(certificates.clientCertificate),
      clientKeyPEM: try certificates.read(certificates.clientKey))
    let client = try KubeClient(trusted)
    defer { Task { await client.shutdown() } }
    try await client.apply(Self.namespace)
    #expect(try await client.get(.namespace, "ml-prod", namespace: nil) != nil)

    // Without the CA the server's certificate is not trusted: a transport error, not a silent success.
    var untrusted = trusted
    untrusted.certificateAuthorityPEM = nil
    let stranger = try KubeClient(untrusted)
    defer { Task { await stranger.shutdown() } }
    await #expect(throws: KubernetesError.self) { _ = try await stranger.list(.namespace, namespace: nil) }
  }

  @Test func statusBodiesBecomeReadableErrors() {
    let body = Data(
      #"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"deployments.apps \"x\" not found","reason":"NotFound","code":404}"#
        .utf8)
    let error = KubeClient.statusError(code: 404, body: body, what: "get Deployment x")
    #expect(error.description == #"get Deployment x: 404 NotFound: deployments.apps "x" not found"#)
    let plain = KubeClient.statusError(code: 502, body: Data("bad gateway".utf8), what: "list pods")
    #expect(plain.description == "list pods: 502 bad gateway" && plain.isRetryable)
  }
}
