import BerthKit
import BerthTargetLocal
import BerthWatch
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The metrics server (SwiftNIO) on a free 127.0.0.1 port.
@Suite(.serialized) struct WatchMetricsServerTests {
  let client = LoopbackHTTPClient(timeout: .seconds(5))

  func withServer(_ metrics: WatchMetricsStore, _ body: (Int) throws -> Void) throws {
    let server = MetricsServer(host: "127.0.0.1", port: 0) { request in
      WatchEndpoints.respond(to: request, metrics: metrics.snapshot, now: Date())
    }
    let port = try server.start()
    defer { server.stop() }
    #expect(port > 0)
    try body(port)
  }

  func liveMetrics() -> WatchMetricsStore {
    var metrics = WatchMetrics(version: "0.1.0", interval: 30, startedAt: Date())
    metrics.lastCycleEnd = Date()
    metrics.cycles = [.ok: 2]
    return WatchMetricsStore(metrics)
  }

  @Test func answersHealthzAndMetrics() throws {
    let metrics = liveMetrics()
    try withServer(metrics) { port in
      let health = try client.get(port: port, path: "/healthz")
      #expect(health.status == 200)
      #expect(health.text == "ok\n")
      #expect(health.headers["connection"] == "close")

      let scrape = try client.get(port: port, path: "/metrics")
      #expect(scrape.status == 200)
      #expect(scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
      #expect(scrape.headers["content-length"] == String(scrape.body.count))
      #expect(scrape.text.contains("berth_reconcile_total{result=\"ok\"} 2\n"))
      #expect(try client.get(port: port, path: "/metrics?debug=1").status == 200)

      metrics.update { $0.alive = false }
      let stopped = try client.get(port: port, path: "/healthz")
      #expect(stopped.status == 503)
      #expect(stopped.text == "stopped\n")
    }
  }

  @Test func refusesOtherMethodsUnknownPathsAndOversizedRequests() throws {
    try withServer(liveMetrics()) { port in
      #expect(try client.get(port: port, path: "/admin").status == 404)
      let post = try client.postJSON(port: port, path: "/metrics", body: "{}")
      #expect(post.status == 405)
      #expect(post.headers["allow"] == "GET, HEAD")
      let head = try client.send("HEAD", port: port, path: "/metrics")
      #expect(head.status == 200)
      #expect(head.body.isEmpty)
      let huge = try client.send(
        "GET", port: port, path: "/metrics", headers: ["X-Filler": String(repeating: "a", count: 20_000)])
      #expect(huge.status == 431)
      #expect(try rawExchange(port: port, "NONSENSE\r\n\r\n").hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
    }
  }

  @Test func servesManyConcurrentClients() async throws {
    let metrics = liveMetrics()
    let server = MetricsServer(host: "127.0.0.1", port: 0) { request in
      WatchEndpoints.respond(to: request, metrics: metrics.snapshot, now: Date())
    }
    let port = try server.start()
    defer { server.stop() }
    let client = self.client
    let statuses = await withTaskGroup(of: Int.self) { group in
      for _ in 0..<20 { group.addTask { (try? client.get(port: port, path: "/healthz").status) ?? -1 } }
      return await group.reduce(into: []) { $0.append($1) }
    }
    #expect(statuses == Array(repeating: 200, count: 20))
  }

  @Test func stopClosesTheListeningSocket() throws {
    let server = MetricsServer(host: "127.0.0.1", port: 0) { _ in .init(status: 200, body: "x") }
    let port = try server.start()
    #expect(try client.get(port: port, path: "/").status == 200)
    server.stop()
    #expect(throws: LoopbackHTTPError.self) { try client.get(port: port, path: "/") }
    // The port is free again.
    let again = MetricsServer(host: "127.0.0.1", port: port) { _ in .init(status: 200, body: "y") }
    #expect(try again.start() == port)
    again.stop()
  }

  @Test func aTakenPortIsAnErrorNamingIt() throws {
    let first = MetricsServer(host: "127.0.0.1", port: 0) { _ in .init(status: 200, body: "") }
    let port = try first.start()
    defer { first.stop() }
    let second = MetricsServer(host: "127.0.0.1", port: port) { _ in .init(status: 200, body: "") }
    #expect(throws: MetricsServerError.self) { try second.start() }
    do {
      try second.start()
    } catch {
      #expect("\(error)".contains("cannot listen on 127.0.0.1:\(port)"))
    }
  }

  /// Sends raw bytes and reads everything back, for requests the client cannot form.
  func rawExchange(port: Int, _ request: String) throws -> String {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port)).bigEndian
    address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw LoopbackHTTPError.connect(errno) }
    _ = request.withCString { write(fd, $0, strlen($0)) }
    var data = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = read(fd, &buffer, buffer.count)
      if count <= 0 { break }
      data += buffer[0..<count]
    }
    return String(decoding: data, as: UTF8.self)
  }
}
