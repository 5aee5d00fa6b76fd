import BerthModel
import BerthTargetAPI
import BerthTargetLocal
import BerthTesting
import BerthWatch
import Foundation
import Testing

/// The status page in a real browser: Debian's headless `chromium`, driven through `chromedriver`'s W3C WebDriver
/// HTTP API (no Selenium), after a git controller applied a commit, refused a bad one and saw its service drift.
@Suite(.serialized) struct StatusPageBrowserTests {
  static let chromedriver = "/usr/bin/chromedriver"
  static let chromium = "/usr/bin/chromium"

  @Test func thePageShowsTheRunningCommitTheRefusalAndTheDriftedService() async throws {
    guard FileManager.default.isExecutableFile(atPath: Self.chromedriver) else {
      Issue.record("chromium-driver is not installed; run scripts/bootstrap")
      return
    }
    // A controller that applied v1, refused a broken commit, and found `web` changed behind its back.
    let fixture = try GitFixture()
    let good = try fixture.commit("Serve ridge v1", GitFixture.manifests())
    let controller = GitControllerTests.Controller(fixture)
    var schedule = WatchSchedule(interval: 3600)
    _ = await controller.loop().cycle(1, schedule: &schedule, stop: WatchStop())
    let refusedSHA = try fixture.commit("Move web to aks-prod", GitFixture.manifests(computeTarget: "aks-prod"))
    let record = try #require(try await controller.store.snapshot().resources[ResourceAddress(.service, "web")])
    guard case .string(let instance)? = record.outputs[ServiceInstance.outputKey] else {
      Issue.record("no instance recorded")
      return
    }
    controller.target.tamper(instance: instance, health: .degraded, message: "replica count changed outside Berth")
    let report = await controller.loop(selfHeal: false).cycle(2, schedule: &schedule, stop: WatchStop())
    #expect(report.drifted == 1)

    let endpoints = ControllerEndpoints(status: controller.status, webhook: nil, trigger: controller.trigger)
    let metrics = controller.metrics
    metrics.update { $0.lastCycleEnd = Date() }
    let server = MetricsServer(host: "127.0.0.1", port: 0) { request in
      WatchEndpoints.respond(to: request, metrics: metrics.snapshot, now: Date(), controller: endpoints)
    }
    let port = try server.start()
    defer { server.stop() }

    let driver = try await WebDriver.start(chromedriver: Self.chromedriver, chromium: Self.chromium)
    defer { driver.quit() }
    try driver.navigate("http://127.0.0.1:\(port)/")
    #expect(try driver.title() == "berth watch")
    #expect(try driver.text("#r-service_web td.sync") == "Drifted")
    #expect(try driver.text("#r-service_web").contains("replica count changed outside Berth"))
    #expect(try driver.text("#r-service_web").contains("Degraded"))
    #expect(try driver.text("#r-model_ridge td.sync") == "Synced")
    #expect(try driver.text("#drift").contains("service/web drifted"))
    #expect(try driver.attribute("#drift a", "href").hasSuffix("#r-service_web"))
    #expect(try driver.text("#current-commit").contains(String(good.prefix(12))))
    #expect(try driver.text("#refused").contains("commit \(refusedSHA.prefix(12)) refused"))
    #expect(try driver.text("#refused").contains("berth.yaml:"))
    #expect(try driver.text("#applies").contains("succeeded (5 ok)"))
    #expect(try driver.text("#loop-health") == "loop healthy")
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/dot") {
      #expect(try driver.count("#graph svg") == 1)
      #expect(try driver.text("#graph").contains("service/web"))
    }
    // A link followed: the footer's metrics link leads to the metrics.
    try driver.click("footer a[href='/metrics']")
    #expect(try driver.source().contains("berth_reconcile_total"))

    try driver.navigate("http://127.0.0.1:\(port)/")
    let png = try driver.screenshot()
    #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
    if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
      try png.write(to: RepositoryPaths.root.appendingPathComponent("docs/images/controller-status-page.png"))
    }
  }
}

/// The few WebDriver commands the test needs, over chromedriver's HTTP API.
final class WebDriver: @unchecked Sendable {
  let process: ChildProcess
  let port: Int
  let session: String
  let client = LoopbackHTTPClient(timeout: .seconds(30))

  private init(process: ChildProcess, port: Int, session: String) {
    self.process = process
    self.port = port
    self.session = session
  }

  static func start(chromedriver: String, chromium: String) async throws -> WebDriver {
    let probe = MetricsServer(host: "127.0.0.1", port: 0) { _ in .init(status: 200, body: "") }
    let port = try probe.start()
    probe.stop()
    let process = try ChildProcess(executable: chromedriver, arguments: ["--port=\(port)", "--log-level=OFF"])
    let client = LoopbackHTTPClient(timeout: .seconds(5))
    let deadline = ContinuousClock.now + .seconds(20)
    while (try? client.get(port: port, path: "/status").status) != 200 {
      guard ContinuousClock.now < deadline else {
        process.signal(SIGKILL)
        throw ChildFailure(message: "chromedriver did not answer on port \(port)")
      }
      try await Task.sleep(for: .milliseconds(100))
    }
    let capabilities = """
      {"capabilities":{"alwaysMatch":{"browserName":"chrome","goog:chromeOptions":{"binary":"\(chromium)",\
      "args":["--headless=new","--no-sandbox","--disable-gpu","--disable-dev-shm-usage","--window-size=1280,1100"]}}}}
      """
    let answer = try LoopbackHTTPClient(timeout: .seconds(60)).postJSON(port: port, path: "/session", body: capabilities)
    guard let value = try Self.value(answer.body) as? [String: Any], let session = value["sessionId"] as? String else {
      process.signal(SIGKILL)
      throw ChildFailure(message: "no WebDriver session: \(answer.text)")
    }
    return WebDriver(process: process, port: port, session: session)
  }

  func quit() {
    _ = try? client.send("DELETE", port: port, path: "/session/\(session)")
    process.signal(SIGKILL)
  }

  func navigate(_ url: String) throws { _ = try command("POST", "/url", ["url": url]) }

  func title() throws -> String { try command("GET", "/title") as? String ?? "" }

  func source() throws -> String { try command("GET", "/source") as? String ?? "" }

  func text(_ selector: String) throws -> String {
    try command("GET", "/element/\(try element(selector))/text") as? String ?? ""
  }

  func attribute(_ selector: String, _ name: String) throws -> String {
    try command("GET", "/element/\(try element(selector))/property/\(name)") as? String ?? ""
  }

  func click(_ selector: String) throws { _ = try command("POST", "/element/\(try element(selector))/click", [:]) }

  func count(_ selector: String) throws -> Int {
    (try command("POST", "/elements", ["using": "css selector", "value": selector]) as? [Any])?.count ?? 0
  }

  func screenshot() throws -> Data {
    Data(base64Encoded: try command("GET", "/screenshot") as? String ?? "") ?? Data()
  }

  func element(_ selector: String) throws -> String {
    let found = try command("POST", "/element", ["using": "css selector", "value": selector]) as? [String: Any]
    guard let id = found?.values.first as? String else { throw ChildFailure(message: "no element '\(selector)'") }
    return id
  }

  func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) throws -> Any? {
    let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
    let answer = try client.send(
      method, port: port, path: "/session/\(session)\(path)", headers: data == nil ? [:] : ["Content-Type": "application/json"],
      body: data)
    let value = try Self.value(answer.body)
    if answer.status != 200 { throw ChildFailure(message: "\(method) \(path): \(answer.status) \(answer.text.prefix(300))") }
    return value
  }

  static func value(_ body: Data) throws -> Any? {
    (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["value"]
  }
}
