import BerthKit
import BerthTesting
import BerthWatch
import Foundation
import Testing

/// The /metrics text (golden), the /healthz rule, the routes, and the log line format.
@Suite struct WatchMetricsTests {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
  let t0 = Date(timeIntervalSince1970: 1_700_000_000)

  func sample() -> WatchMetrics {
    var metrics = WatchMetrics(version: "0.1.0", interval: 30, startedAt: t0)
    metrics.lastCycleEnd = t0 + 90.25
    metrics.lastDuration = 1.5
    metrics.durationTotal = 12.75
    metrics.cycles = [.ok: 3, .error: 1]
    metrics.drifted = 2
    metrics.pending = 5
    metrics.failedActionsTotal = 4
    return metrics
  }

  @Test func metricsTextMatchesGoldenFile() {
    let mismatch = SnapshotFile.mismatch(sample().render(), file: Self.snapshots.appendingPathComponent("watch.metrics.txt"))
    #expect(mismatch == nil, "\(mismatch ?? "")")
  }

  @Test func metricsBeforeTheFirstCycleAreZeros() {
    let text = WatchMetrics(version: "1.2.3", interval: 5, startedAt: t0).render()
    #expect(text.contains("berth_last_reconcile_timestamp_seconds 0\n"))
    #expect(text.contains("berth_reconcile_total{result=\"skipped\"} 0\n"))
    #expect(text.contains("berth_build_info{version=\"1.2.3\"} 1\n"))
    // Every sample line is `name[{labels}] value`, every family has HELP and TYPE.
    let lines = text.split(separator: "\n")
    #expect(lines.filter { $0.hasPrefix("# TYPE ") }.count == 8)
    #expect(lines.filter { $0.hasPrefix("# HELP ") }.count == 8)
    for line in lines where !line.hasPrefix("#") {
      #expect(line.split(separator: " ").count == 2, "\(line)")
      #expect(Double(line.split(separator: " ")[1]) != nil, "\(line)")
    }
  }

  @Test func healthyWhileCyclesEndWithinThreeIntervals() {
    var metrics = sample()
    let end = metrics.lastCycleEnd!
    #expect(metrics.isHealthy(at: end + 89))
    #expect(metrics.isHealthy(at: end + 90))
    #expect(!metrics.isHealthy(at: end + 91))
    // A running apply that reports progress is alive, however long it takes.
    metrics.lastProgress = end + 600
    #expect(metrics.isHealthy(at: end + 650))
    #expect(!metrics.isHealthy(at: end + 691))
    // Waiting out a backoff of 10 intervals is on schedule; being 2 intervals late for it is not.
    metrics.lastProgress = nil
    metrics.nextCycleAt = end + 300
    #expect(metrics.isHealthy(at: end + 350))
    #expect(!metrics.isHealthy(at: end + 361))
    // A stopped loop is never healthy.
    metrics.alive = false
    #expect(!metrics.isHealthy(at: end))
  }

  @Test func beforeTheFirstCycleEndsTheStartCounts() {
    let metrics = WatchMetrics(version: "0.1.0", interval: 10, startedAt: t0)
    #expect(metrics.isHealthy(at: t0 + 30))
    #expect(!metrics.isHealthy(at: t0 + 31))
  }

  @Test func routesAnswerHealthMetricsAndNotFound() {
    let metrics = sample()
    let now = metrics.lastCycleEnd! + 1
    let health = WatchEndpoints.respond(to: .init(method: "GET", path: "/healthz"), metrics: metrics, now: now)
    #expect(health == .init(status: 200, body: "ok\n"))
    let stale = WatchEndpoints.respond(to: .init(method: "GET", path: "/healthz"), metrics: metrics, now: now + 200)
    #expect(stale.status == 503)
    #expect(stale.body == "stale: last cycle ended 201s ago (interval 30s)\n")
    let scrape = WatchEndpoints.respond(to: .init(method: "GET", path: "/metrics"), metrics: metrics, now: now)
    #expect(scrape.status == 200)
    #expect(scrape.contentType == "text/plain; version=0.0.4; charset=utf-8")
    #expect(scrape.body == metrics.render())
    #expect(WatchEndpoints.respond(to: .init(method: "GET", path: "/nope"), metrics: metrics, now: now).status == 404)
  }

  @Test func listenAddressesAreIPv4AndAPort() {
    #expect(ListenAddress(parsing: "127.0.0.1:9464") == ListenAddress(host: "127.0.0.1", port: 9464))
    #expect(ListenAddress(parsing: "0.0.0.0:0") == ListenAddress(host: "0.0.0.0", port: 0))
    #expect(ListenAddress(parsing: "localhost:80") == ListenAddress(host: "127.0.0.1", port: 80))
    for bad in [":9464", "9464", "127.0.0.1", "127.0.0.1:70000", "example.com:80", "::1:80", "127.0.0.1:x"] {
      #expect(ListenAddress(parsing: bad) == nil, "\(bad)")
    }
  }

  @Test func logRecordIsOneJSONObjectOnOneLine() throws {
    let record = WatchLogRecord(
      time: t0, level: .warn, event: "cycle_finished",
      fields: [
        .init("cycle", 7), .init("result", "skipped"), .init("duration_s", .double(0.123456)), .init("self_heal", true),
        .init("error", "cannot reach postgres://berth:hunter2@db:5432/state\n\"quoted\""),
      ])
    #expect(
      record.jsonLine
        == #"{"time":"2023-11-14T22:13:20.000Z","level":"warn","event":"cycle_finished","cycle":7,"result":"skipped","#
        + #""duration_s":0.123,"self_heal":true,"error":"cannot reach postgres://berth:****@db:5432/state\n\"quoted\""}"#)
    let object = try JSONSerialization.jsonObject(with: Data(record.jsonLine.utf8)) as? [String: Any]
    #expect(object?["cycle"] as? Int == 7)
    #expect(!record.jsonLine.contains("hunter2"))
  }
}
