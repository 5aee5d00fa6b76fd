import BerthTargetLocal
import BerthTesting
import Foundation
import Testing

/// The real `berth watch` process: it reconciles, counts it at /metrics, and stops cleanly on SIGTERM.
@Suite(.serialized) struct WatchTests {
  @Test func watchReconcilesServesMetricsAndStopsCleanlyOnSIGTERM() throws {
    let scratch = try ScratchDirectory("watch")
    try scratch.write("model.bin", "weights\n")
    try scratch.write("berth.yaml", "apiVersion: berth/v1\nkind: Model\nmetadata: {name: m}\nspec: {path: model.bin}\n")
    let port = try #require(PortProbe.findFreePort())
    let watch = try BerthProcess.start(
      ["watch", "--interval", "1s", "--self-heal", "--listen", "127.0.0.1:\(port)"], in: scratch.path)
    let stderr = PipeDrain((watch.standardError as! Pipe).fileHandleForReading)
    _ = PipeDrain((watch.standardOutput as! Pipe).fileHandleForReading)
    defer { if watch.isRunning { watch.terminate() } }

    // Scrape until a successful reconcile is counted (the first one registers the model).
    let client = LoopbackHTTPClient(timeout: .seconds(2))
    var metrics = ""
    let deadline = Date() + 30
    while Date() < deadline, watch.isRunning {
      if let response = try? client.get(port: port, path: "/metrics"), response.status == 200,
        let line = response.text.split(separator: "\n").first(where: { $0.hasPrefix("berth_reconcile_total{result=\"ok\"}") }),
        let count = Int(line.split(separator: " ").last ?? ""), count >= 2
      {
        metrics = response.text
        break
      }
      Thread.sleep(forTimeInterval: 0.1)
    }
    #expect(metrics.contains("berth_build_info{version="), "no reconcile was counted within 30 s")
    #expect(metrics.contains("berth_pending_changes 0\n"))
    #expect(metrics.contains("berth_failed_actions_total 0\n"))
    #expect(try client.get(port: port, path: "/healthz").text == "ok\n")

    kill(watch.processIdentifier, SIGTERM)
    watch.waitUntilExit()
    #expect(watch.terminationReason == .exit)
    #expect(watch.terminationStatus == 0)

    let lock = try BerthProcess.run(["state", "lock"], in: scratch.path)
    #expect(lock.stdout.contains("not locked"), "\(lock.output)")
    #expect(try BerthProcess.run(["state", "list"], in: scratch.path).stdout.contains("model/m"))

    // Every stderr line is one JSON object with time, level and event.
    let lines = stderr.text().split(separator: "\n")
    let events = try lines.map { line -> String in
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      #expect(object?["time"] is String && object?["level"] is String, "\(line)")
      return object?["event"] as? String ?? ""
    }
    #expect(events.first == "listening")
    #expect(events.contains("cycle_finished"))
    #expect(events.contains("signal_received"))
    #expect(events.last == "watch_stopped")
  }
}
