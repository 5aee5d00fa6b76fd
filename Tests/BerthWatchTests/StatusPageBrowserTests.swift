import BerthModel
import BerthTargetAPI
import BerthTesting
import BerthWatch
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

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
    let record = try #require(await controller.store.snapshot().resources[ResourceAddress(.service, "web")])
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
    #expect(try driver.text("#behind") == "1 commit(s) ahead of the running one")
    #expect(try driver.text("#applies").contains("succeeded (5 ok)"))
    #expect(try driver.text("#loop-health") == "loop healthy")
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/dot") {
      #expect(try driver.count("#graph svg") == 1)
      let graph = try driver.text("#graph")
      #expect(graph.contains("Service") && graph.contains("ridge"))
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
    let deadline = ContinuousClock.now + .seconds(20)
    while (try? DriverHTTP.exchange("GET", port: port, path: "/status").status) != 200 {
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
    let answer = try DriverHTTP.exchange("POST", port: port, path: "/session", body: Data(capabilities.utf8))
    guard let value = try Self.value(answer.body) as? [String: Any], let session = value["sessionId"] as? String else {
      process.signal(SIGKILL)
      throw ChildFailure(message: "no WebDriver session: \(String(decoding: answer.body, as: UTF8.self))")
    }
    return WebDriver(process: process, port: port, session: session)
  }

  func quit() {
    _ = try? DriverHTTP.exchange("DELETE", port: port, path: "/session/\(session)")
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
    let answer = try DriverHTTP.exchange(method, port: port, path: "/session/\(session)\(path)", body: data)
    let value = try Self.value(answer.body)
    if answer.status != 200 {
      throw ChildFailure(
        message: "\(method) \(path): \(answer.status) \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
    }
    return value
  }

  static func value(_ body: Data) throws -> Any? {
    (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["value"]
  }
}

/// One HTTP/1.1 exchange with chromedriver (which writes `Name:value` headers without a space), read to the end.
enum DriverHTTP {
  static func exchange(_ method: String, port: Int, path: String, body: Data? = nil) throws -> (status: Int, body: Data) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ChildFailure(message: "socket: \(errno)") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 60, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw ChildFailure(message: "connect: \(errno)") }
    var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    if let body { request += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
    let bytes = Data((request + "\r\n").utf8) + (body ?? Data())
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var answer = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    // Read until the body is complete: chromedriver may keep the connection open after answering.
    func complete() -> Bool {
      guard let split = answer.range(of: Data("\r\n\r\n".utf8)) else { return false }
      let head = String(decoding: answer[..<split.lowerBound], as: UTF8.self).lowercased()
      guard let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
        let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
      else { return false }
      return answer.count - split.upperBound >= length
    }
    while !complete() {
      let count = recv(fd, &buffer, buffer.count, 0)
      if count <= 0 { break }
      answer.append(contentsOf: buffer[0..<count])
    }
    guard let split = answer.range(of: Data("\r\n\r\n".utf8)) else { throw ChildFailure(message: "no HTTP answer") }
    let head = String(decoding: answer[..<split.lowerBound], as: UTF8.self)
    let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
    return (status, Data(answer[split.upperBound...]))
  }
}
