import BerthGit
import BerthTargetLocal
import BerthWatch
import Crypto
import Foundation
import Testing

/// The controller's pure parts: webhook signatures, page auth, notification policy and payloads, git auth.
@Suite struct ControllerPartsTests {
  func githubSignature(_ body: Data, secret: String) -> String {
    let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
    return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
  }

  @Test func webhookSignaturesAreCheckedAgainstTheBody() throws {
    let verifier = try #require(WebhookVerifier(secret: "s3cret"))
    let body = Data(#"{"ref":"refs/heads/main"}"#.utf8)
    let good = githubSignature(body, secret: "s3cret")
    #expect(verifier.accepts(headers: ["x-hub-signature-256": good], body: body))
    #expect(
      verifier.accepts(
        headers: ["x-hub-signature-256": good.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256=")], body: body))
    #expect(!verifier.accepts(headers: ["x-hub-signature-256": good], body: body + Data(" ".utf8)))
    #expect(!verifier.accepts(headers: ["x-hub-signature-256": githubSignature(body, secret: "other")], body: body))
    #expect(!verifier.accepts(headers: ["x-hub-signature-256": "sha1=abcd"], body: body))
    #expect(!verifier.accepts(headers: ["x-hub-signature-256": "sha256=zz"], body: body))
    #expect(!verifier.accepts(headers: ["x-hub-signature-256": String(good.dropLast(2))], body: body))
    #expect(verifier.accepts(headers: ["x-gitlab-token": "s3cret"], body: body))
    #expect(!verifier.accepts(headers: ["x-gitlab-token": "s3cre"], body: body))
    #expect(!verifier.accepts(headers: [:], body: body))
    #expect(WebhookVerifier(secret: "") == nil)
  }

  @Test func pageAuthTakesABearerTokenOrBasicCredentials() {
    #expect(PageAuth().allows(authorization: nil))
    let bearer = PageAuth(bearerToken: "tok")
    #expect(bearer.allows(authorization: "Bearer tok"))
    #expect(!bearer.allows(authorization: "Bearer tok2"))
    #expect(!bearer.allows(authorization: nil))
    let basic = PageAuth(basicCredentials: "ops:pw")
    #expect(basic.allows(authorization: "Basic " + Data("ops:pw".utf8).base64EncodedString()))
    #expect(!basic.allows(authorization: "Basic " + Data("ops:px".utf8).base64EncodedString()))
    #expect(!basic.allows(authorization: "Bearer ops:pw"))
  }

  @Test func theRoutesGuardThePageAndTheHook() throws {
    let status = ControllerStatusStore(ControllerStatus(selfHeal: true, interval: 30))
    let trigger = WatchTrigger()
    let endpoints = ControllerEndpoints(
      status: status, pageAuth: PageAuth(bearerToken: "page-token"), webhook: WebhookVerifier(secret: "x"), trigger: trigger)
    let metrics = WatchMetrics(version: "t", interval: 30, startedAt: Date())
    func respond(_ method: String, _ path: String, _ headers: [String: String] = [:]) -> MetricsServer.Response {
      WatchEndpoints.respond(
        to: .init(method: method, path: path, headers: headers), metrics: metrics, now: Date(), controller: endpoints)
    }
    #expect(respond("GET", "/").status == 401)
    let page = respond("GET", "/", ["authorization": "Bearer page-token"])
    #expect(page.status == 200)
    #expect(page.headers["Content-Security-Policy"]?.hasPrefix("default-src 'none'") == true)
    #expect(respond("GET", "/healthz").status == 200)  // Probes need no token.
    #expect(respond("GET", "/hooks/git").status == 405)
    #expect(respond("POST", "/metrics").headers["Allow"] == "GET, HEAD")
    #expect(respond("POST", "/hooks/git").status == 401)
    let unconfigured = WatchEndpoints.respond(
      to: .init(method: "POST", path: "/hooks/git"), metrics: metrics, now: Date(),
      controller: ControllerEndpoints(status: status, webhook: nil, trigger: trigger))
    #expect(unconfigured.status == 404)
  }

  let commit = GitCommit(sha: String(repeating: "a", count: 40), author: "Ada <ada@example.com>", subject: "Ship it")

  func report(_ result: CycleResult = .ok, drifted: Int = 0, pending: Int = 0, applied: Int = 0) -> CycleReport {
    var report = CycleReport(number: 1)
    report.result = result
    report.driftedLeft = drifted
    report.pendingLeft = pending
    report.applied = applied
    return report
  }

  @Test func notificationsAreSentOncePerStateAndRecoveryFollowsTrouble() {
    var policy = NotificationPolicy()
    let time = Date(timeIntervalSince1970: 0)
    var drifting = NotificationPolicy.Outcome(report: report(drifted: 1, pending: 1), selfHeal: false, commit: commit)
    drifting.drift = ["service/web: process is not running"]
    #expect(policy.notifications(for: drifting, at: time).map(\.kind) == [.driftFound])
    #expect(policy.notifications(for: drifting, at: time).isEmpty)  // The same drift again: not resent.

    let refusal = ControllerStatus.Refusal(
      commit: GitCommit(sha: String(repeating: "b", count: 40), author: "Bob", subject: "oops"), errors: 2,
      locations: ["berth.yaml:3:1"])
    var refused = NotificationPolicy.Outcome(report: report(), selfHeal: true, commit: commit, refused: refusal)
    #expect(policy.notifications(for: refused, at: time).map(\.kind) == [.commitRefused])
    #expect(policy.notifications(for: refused, at: time).isEmpty)
    refused.refused = nil

    var failing = NotificationPolicy.Outcome(report: report(.error, pending: 1), selfHeal: true, commit: commit)
    failing.applied = true
    failing.failures = ["service/web: did not become healthy"]
    #expect(policy.notifications(for: failing, at: time).map(\.kind) == [.applyFailed])
    #expect(policy.notifications(for: failing, at: time).isEmpty)

    var healed = NotificationPolicy.Outcome(report: report(applied: 1), selfHeal: true, commit: commit)
    healed.applied = true
    #expect(policy.notifications(for: healed, at: time).map(\.kind) == [.applySucceeded, .recovered])
    let quiet = NotificationPolicy.Outcome(report: report(), selfHeal: true, commit: commit)
    #expect(policy.notifications(for: quiet, at: time).isEmpty)
    // The same drift after recovery is news again.
    #expect(policy.notifications(for: drifting, at: time).map(\.kind) == [.driftFound])
  }

  @Test func payloadsInEachFormatAreJSONWithTheSummary() throws {
    let notification = WatchNotification(
      kind: .commitRefused, summary: "commit aaaa refused", details: ["berth.yaml:3:1", "a \"quoted\" line"], commit: commit,
      time: Date(timeIntervalSince1970: 1_700_000_000))
    for format in NotificationFormat.allCases {
      let body = format.body(notification)
      let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
      switch format {
      case .json:
        #expect(object["event"] as? String == "commit_refused")
        #expect(object["severity"] as? String == "error")
        #expect((object["commit"] as? [String: Any])?["sha"] as? String == commit.sha)
        #expect(object["details"] as? [String] == ["berth.yaml:3:1", "a \"quoted\" line"])
      case .slack:
        #expect((object["text"] as? String)?.contains("commit aaaa refused") == true)
      case .teams:
        #expect(object["@type"] as? String == "MessageCard")
        #expect((object["title"] as? String)?.contains("commit aaaa refused") == true)
      }
    }
  }

  @Test func gitAuthTravelsInTheEnvironmentOnly() throws {
    #expect(try GitAuth.none.environment(from: [:]).isEmpty)
    let token = GitAuth.httpsToken(variable: "REPO_TOKEN", user: "x-access-token")
    let environment = try token.environment(from: ["REPO_TOKEN": "ghp_secret"])
    #expect(environment["GIT_CONFIG_KEY_0"] == "http.extraHeader")
    let expected = Data("x-access-token:ghp_secret".utf8).base64EncodedString()
    #expect(environment["GIT_CONFIG_VALUE_0"] == "Authorization: Basic \(expected)")
    #expect(throws: GitError.self) { try token.environment(from: [:]) }
    let folder = FileManager.default.temporaryDirectory.path
    let key = folder + "/id_it's"
    _ = FileManager.default.createFile(atPath: key, contents: Data("k".utf8))
    defer { try? FileManager.default.removeItem(atPath: key) }
    let ssh = try GitAuth.sshKey(path: key).environment(from: [:])
    #expect(ssh["GIT_SSH_COMMAND"] == "ssh -i '\(folder)/id_it'\\''s' -o IdentitiesOnly=yes -o BatchMode=yes")
    #expect(throws: GitError.self) { try GitAuth.sshKey(path: folder + "/missing-key").environment(from: [:]) }
  }

  @Test func theStatusPageEscapesWhatItShows() {
    var status = ControllerStatus(selfHeal: false, interval: 30)
    status.resources = [
      .init(address: "service/<web>", kind: "Service", health: "Missing", sync: "Drifted", reason: "gone & <b>x</b>")
    ]
    let html = StatusPage.render(status, metrics: WatchMetrics(version: "t", interval: 30, startedAt: Date()), now: Date())
    #expect(html.contains("service/&lt;web&gt;"))
    #expect(html.contains("gone &amp; &lt;b&gt;x&lt;/b&gt;"))
    #expect(!html.contains("<b>x</b>"))
    #expect(!html.contains("<script"))
    #expect(html.contains("Drift (1)"))
  }

  @Test func aPageOfAThousandServicesRendersQuickly() {
    var status = ControllerStatus(selfHeal: true, interval: 30)
    status.resources = (0..<1000).map {
      .init(
        address: "service/svc-\($0)", kind: "Service", health: "Healthy", sync: $0 % 100 == 0 ? "Drifted" : "Synced",
        reason: $0 % 100 == 0 ? "process is not running" : "", revision: "r\($0)",
        scoringURI: "http://127.0.0.1:\(20000 + $0)/score",
        commit: "0123456789ab Ship it")
    }
    let metrics = WatchMetrics(version: "t", interval: 30, startedAt: Date())
    let clock = ContinuousClock()
    var html = ""
    let elapsed = clock.measure { html = StatusPage.render(status, metrics: metrics, now: Date()) }
    #expect(html.contains("Resources (1000)"))
    #expect(html.contains("Drift (10)"))
    #expect(elapsed < .seconds(1), "rendered 1,000 services in \(elapsed)")
  }
}
