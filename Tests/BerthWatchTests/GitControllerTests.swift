import BerthGit
import BerthKit
import BerthModel
import BerthState
import BerthTargetAPI
import BerthTargetLocal
import BerthTesting
import BerthWatch
import Crypto
import Foundation
import Testing

/// Collects notifications.
final class NotificationSink: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: [WatchNotification] = []

  func send(_ notification: WatchNotification) { lock.withLock { stored.append(notification) } }

  var kinds: [WatchNotification.Kind] { lock.withLock { stored.map(\.kind) } }
  var all: [WatchNotification] { lock.withLock { stored } }
}

/// `berth watch --git` against a real git repository: a bare remote and a clone made by the test, the in-memory
/// target and state, so that what is tested is fetching, refusing, recording and triggering.
@Suite(.serialized) struct GitControllerTests {
  let web = ResourceAddress(.service, "web")

  struct Controller {
    let fixture: GitFixture
    let store = InMemoryStateStore()
    let target = InMemoryTargetProvider()
    let log = LogSink()
    let notifications = NotificationSink()
    let status: ControllerStatusStore
    let metrics = WatchMetricsStore(WatchMetrics(version: "test", interval: 3600, startedAt: Date()))
    let trigger = WatchTrigger()
    let source: GitManifestSource

    init(_ fixture: GitFixture, tagPattern: String? = nil, allowedSigners: String? = nil) {
      self.fixture = fixture
      let mirror = GitMirror(
        url: fixture.remote, branch: "main", tagPattern: tagPattern, directory: fixture.workDirectory + "/.berth/git")
      source = GitManifestSource(mirror: mirror, subpath: "manifests", allowedSigners: allowedSigners)
      status = ControllerStatusStore(
        ControllerStatus(selfHeal: true, interval: 3600, source: .init(url: fixture.remote, branch: "main", path: "manifests")))
    }

    func loop(selfHeal: Bool = true) -> ReconcileLoop {
      let store = store
      let target = target
      let reconciler = Reconciler(
        targets: { _ in Targets(providers: [target], environmentBuilder: FakeEnvironmentBuilder()) },
        openState: { _, _ in store }, who: "controller-test")
      var configuration = WatchConfiguration(
        path: source.manifestsPath, interval: 3600, selfHeal: selfHeal, parallelism: 4)
      configuration.source = source
      configuration.workspaceRoot = fixture.workDirectory
      var loop = ReconcileLoop(
        configuration: configuration, reconciler: reconciler, metrics: metrics, random: { 0.5 }, log: { self.log.write($0) })
      loop.status = status
      loop.trigger = trigger
      loop.notify = { self.notifications.send($0) }
      return loop
    }

    func commitOfWeb() async throws -> String? {
      guard let record = await store.snapshot().resources[ResourceAddress(.service, "web")] else { return nil }
      return SourceCommit(outputs: record.outputs)?.sha
    }

    func page() -> String { StatusPage.render(status.snapshot, metrics: metrics.snapshot, now: Date()) }
  }

  @Test func appliesACommitRefusesABadOneKeepsTheOldRunningAndAppliesTheFix() async throws {
    let fixture = try GitFixture()
    let good = try fixture.commit("Serve ridge v1", GitFixture.manifests())
    let controller = Controller(fixture)
    let loop = controller.loop()
    var schedule = WatchSchedule(interval: 3600)
    let stop = WatchStop()

    // 1. The first commit is checked out and applied; every record says which commit it came from.
    let first = await loop.cycle(1, schedule: &schedule, stop: stop)
    #expect(first.result == .ok)
    #expect(first.applied == 5)
    #expect(try await controller.commitOfWeb() == good)
    let history = await controller.store.history(limit: 1)
    #expect(history.first?.actions.allSatisfy { $0.message.contains("commit \(good.prefix(12))") } == true)
    #expect(controller.log.events("commit_selected").first?["commit"] == .string(good))
    #expect(controller.status.snapshot.source?.current?.sha == good)
    #expect(controller.status.snapshot.source?.current?.author == "Ada Tester <ada@example.com>")
    #expect(controller.notifications.kinds == [.applySucceeded])

    // 2. A commit naming a compute target that does not exist is refused as a whole; v1 keeps running.
    let bad = try fixture.commit("Move web to aks-prod", GitFixture.manifests(computeTarget: "aks-prod"))
    let refused = await loop.cycle(2, schedule: &schedule, stop: stop)
    #expect(refused.result == .ok)
    #expect(refused.changes == 0)
    #expect(try await controller.commitOfWeb() == good)
    let observed = try await controller.target.observe(
      ObserveRequest(
        computeTargetName: "local", computeTarget: ComputeTargetSpec(type: .local),
        services: [ObservedService(name: "web", recordedOutputs: await controller.store.snapshot().resources[web]!.outputs)]))
    #expect(observed.services["web"]?.health == .healthy)
    let status = controller.status.snapshot
    #expect(status.source?.refused?.commit.sha == bad)
    #expect(status.source?.current?.sha == good)
    #expect(status.source?.refused?.errors ?? 0 >= 1)
    #expect(status.source?.refused?.locations.first?.contains("berth.yaml:") == true)
    #expect(controller.log.events("commit_refused").count == 1)
    #expect(controller.notifications.kinds == [.applySucceeded, .commitRefused])
    let scrape = controller.metrics.snapshot.render()
    #expect(scrape.contains("berth_git_commit_info{commit=\"\(good)\"} 1\n"))
    #expect(scrape.contains("berth_git_head_refused 1\n"))
    #expect(scrape.contains("berth_git_commits_behind 1\n"))
    #expect(controller.status.snapshot.source?.behind == 1)
    #expect(scrape.contains("berth_git_fetch_failures_total 0\n"))
    let page = controller.page()
    #expect(page.contains("commit \(bad.prefix(12)) refused"))
    #expect(page.contains(good.prefix(12)))

    // The same refused head is not announced again.
    _ = await loop.cycle(3, schedule: &schedule, stop: stop)
    #expect(controller.log.events("commit_refused").count == 1)
    #expect(controller.notifications.kinds == [.applySucceeded, .commitRefused])

    // 3. Reverting it brings the branch back to valid manifests: selected, nothing to change, recovered.
    let revert = try fixture.revertLast()
    let reverted = await loop.cycle(4, schedule: &schedule, stop: stop)
    #expect(reverted.result == .ok)
    #expect(controller.status.snapshot.source?.current?.sha == revert)
    #expect(controller.status.snapshot.source?.refused == nil)
    #expect(controller.metrics.snapshot.render().contains("berth_git_head_refused 0\n"))
    #expect(controller.notifications.kinds == [.applySucceeded, .commitRefused, .recovered])

    // 4. A new model version is applied from its commit, and `services show` data says so.
    let v2 = try fixture.commit("Ridge v2", ["manifests/model.pkl": "weights v2\n"])
    let updated = await loop.cycle(5, schedule: &schedule, stop: stop)
    #expect(updated.applied >= 1)
    #expect(try await controller.commitOfWeb() == v2)
    let record = try #require(await controller.store.snapshot().resources[web])
    #expect(SourceCommit(outputs: record.outputs)?.subject == "Ridge v2")
    #expect(
      controller.status.snapshot.resources.first { $0.address == "service/web" }?.commit?.hasPrefix(String(v2.prefix(12))) == true
    )
    #expect(controller.notifications.kinds.last == .applySucceeded)
  }

  @Test func aSignedWebhookAppliesThePushWithinASecond() async throws {
    let fixture = try GitFixture()
    try fixture.commit("Serve ridge v1", GitFixture.manifests())
    let controller = Controller(fixture)
    let secret = "hook-secret-\(UUID().uuidString)"
    let endpoints = ControllerEndpoints(
      status: controller.status, webhook: WebhookVerifier(secret: secret), trigger: controller.trigger)
    let metrics = controller.metrics
    let server = MetricsServer(host: "127.0.0.1", port: 0) { request in
      WatchEndpoints.respond(to: request, metrics: metrics.snapshot, now: Date(), controller: endpoints)
    }
    let port = try server.start()
    defer { server.stop() }
    let stop = WatchStop()
    let loop = controller.loop()
    let running = Task { await loop.run(until: stop) }
    defer { stop.request() }

    // The first cycle runs at start; then the loop waits an hour.
    try await waitUntil(seconds: 20) { try await controller.commitOfWeb() != nil }
    let v2 = try fixture.commit("Ridge v2", ["manifests/model.pkl": "weights v2\n"])
    let body = Data(#"{"ref":"refs/heads/main","after":"\#(v2)"}"#.utf8)
    let client = LoopbackHTTPClient(timeout: .seconds(5))

    // A wrong signature, or none, triggers nothing.
    let forged = try client.send(
      "POST", port: port, path: "/hooks/git", headers: ["X-Hub-Signature-256": "sha256=" + String(repeating: "0", count: 64)],
      body: body)
    #expect(forged.status == 401)
    #expect(try client.send("POST", port: port, path: "/hooks/git", body: body).status == 401)
    #expect(
      try client.send("POST", port: port, path: "/hooks/git", headers: ["X-Gitlab-Token": "nope"], body: body).status == 401)
    try await Task.sleep(for: .milliseconds(300))
    #expect(try await controller.commitOfWeb() != v2)

    let signature = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
    let hex = signature.map { String(format: "%02x", $0) }.joined()
    let started = ContinuousClock.now
    let accepted = try client.send(
      "POST", port: port, path: "/hooks/git", headers: ["X-Hub-Signature-256": "sha256=\(hex)", "X-GitHub-Event": "push"],
      body: body)
    #expect(accepted.status == 202)
    try await waitUntil(seconds: 5) { try await controller.commitOfWeb() == v2 }
    let elapsed = ContinuousClock.now - started
    #expect(elapsed < .seconds(1), "applied \(elapsed) after the webhook")

    // GitLab's token header triggers too.
    let v3 = try fixture.commit("Ridge v3", ["manifests/model.pkl": "weights v3\n"])
    let gitlab = try client.send("POST", port: port, path: "/hooks/git", headers: ["X-Gitlab-Token": secret], body: body)
    #expect(gitlab.status == 202)
    try await waitUntil(seconds: 5) { try await controller.commitOfWeb() == v3 }

    // The page shows the commit running.
    let page = try client.get(port: port, path: "/")
    #expect(page.status == 200)
    #expect(page.headers["content-type"] == "text/html; charset=utf-8")
    #expect(page.text.contains(String(v3.prefix(12))))
    #expect(!page.text.contains(secret))

    stop.request()
    await running.value
  }

  @Test func withATagPatternTheNewestMatchingTagIsRunAndUntaggedCommitsWait() async throws {
    let fixture = try GitFixture()
    let v19 = try fixture.commit("Ridge 1.9", GitFixture.manifests())
    try fixture.tag("v1.9")
    let controller = Controller(fixture, tagPattern: "v*")
    let loop = controller.loop()
    var schedule = WatchSchedule(interval: 3600)
    let stop = WatchStop()
    _ = await loop.cycle(1, schedule: &schedule, stop: stop)
    #expect(try await controller.commitOfWeb() == v19)

    // A commit on the branch without a tag is not deployed; one tagged elsewhere (not matching) neither.
    try fixture.commit("Work in progress", ["manifests/model.pkl": "weights wip\n"])
    try fixture.tag("nightly-1")
    _ = await loop.cycle(2, schedule: &schedule, stop: stop)
    #expect(try await controller.commitOfWeb() == v19)

    // v1.10 is newer than v1.9 (version order, not text order).
    let v110 = try fixture.commit("Ridge 1.10", ["manifests/model.pkl": "weights 1.10\n"])
    try fixture.tag("v1.10")
    _ = await loop.cycle(3, schedule: &schedule, stop: stop)
    #expect(try await controller.commitOfWeb() == v110)
    #expect(controller.status.snapshot.source?.current?.subject == "Ridge 1.10")
  }

  @Test func withRequiredSignaturesUnsignedAndForeignSignedCommitsAreRefused() async throws {
    let fixture = try GitFixture()
    let trusted = try fixture.sshKey("release-key")
    let stranger = try fixture.sshKey("stranger-key")
    let publicKey = try String(contentsOfFile: trusted + ".pub", encoding: .utf8)
    try fixture.folder.write("allowed_signers", "ada@example.com \(publicKey)")
    let signed = try fixture.commit("Serve ridge v1", GitFixture.manifests(), signingKey: trusted)
    let controller = Controller(fixture, allowedSigners: fixture.folder.path + "/allowed_signers")
    let loop = controller.loop()
    var schedule = WatchSchedule(interval: 3600)
    let stop = WatchStop()
    _ = await loop.cycle(1, schedule: &schedule, stop: stop)
    #expect(try await controller.commitOfWeb() == signed)

    let foreign = try fixture.commit("Ridge v2", ["manifests/model.pkl": "weights v2\n"], signingKey: stranger)
    _ = await loop.cycle(2, schedule: &schedule, stop: stop)
    #expect(try await controller.commitOfWeb() == signed)
    #expect(controller.status.snapshot.source?.refused?.commit.sha == foreign)
    #expect(controller.status.snapshot.source?.refused?.reason == "not signed by a key in the allowed signers file")
    #expect(controller.notifications.kinds.last == .commitRefused)

    let unsigned = try fixture.commit("Ridge v3", ["manifests/model.pkl": "weights v3\n"])
    _ = await loop.cycle(3, schedule: &schedule, stop: stop)
    #expect(controller.status.snapshot.source?.refused?.commit.sha == unsigned)
    #expect(try await controller.commitOfWeb() == signed)

    let resigned = try fixture.commit("Ridge v4", ["manifests/model.pkl": "weights v4\n"], signingKey: trusted)
    _ = await loop.cycle(4, schedule: &schedule, stop: stop)
    #expect(try await controller.commitOfWeb() == resigned)
    #expect(controller.page().contains("Ridge v4"))
  }

  @Test func aBranchThatCannotBeFetchedIsAnErrorCycleAndNothingIsApplied() async throws {
    let fixture = try GitFixture()
    let controller = Controller(fixture)  // The remote has no branch yet.
    var schedule = WatchSchedule(interval: 3600)
    let report = await controller.loop().cycle(1, schedule: &schedule, stop: WatchStop())
    #expect(report.result == .error)
    #expect(report.reason == "fetch_failed")
    #expect(controller.log.events("fetch_failed").count == 1)
    #expect(controller.status.snapshot.source?.fetchError?.contains("fetch branch 'main'") == true)
    #expect(await controller.store.snapshot().resources.isEmpty)
  }

  func waitUntil(seconds: Double, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
      if try await condition() { return }
      try await Task.sleep(for: .milliseconds(20))
    }
    Issue.record("condition not met within \(seconds) s")
  }
}
