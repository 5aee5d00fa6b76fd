import BerthModel
import BerthState
import BerthStatePostgres
import BerthStateSQLite
import BerthTesting
import Foundation

/// The state stores at scale (issue #16): N service records written through the apply path (one `record` per
/// action, as `berth apply` writes them), then the snapshot every plan reads, and one more action recorded.
/// SQLite in a scratch folder; PostgreSQL started by `scripts/postgres-test-server` (fsync off, loopback).
struct StateBench {
  let sizes: [Int]
  let repetitions: Int
  let repositoryRoot: String

  func run() async throws {
    for size in sizes {
      let folder = NSTemporaryDirectory() + "berth-bench-state-\(UUID().uuidString.prefix(8))"
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      defer { try? FileManager.default.removeItem(atPath: folder) }
      try await measure("sqlite", size: size, store: try SQLiteStateStore(path: folder + "/state.db"))
    }
    let script = repositoryRoot + "/scripts/postgres-test-server"
    let folder = "/tmp/berth-bench-pg-\(getpid())"
    let started = try await runToEnd(script, ["start", folder], environment: ProcessInfo.processInfo.environment)
    guard started.status == 0, let url = started.output.split(separator: "\n").last.map(String.init) else {
      print("state: PostgreSQL not measured: scripts/postgres-test-server start failed: \(started.errors)")
      return
    }
    defer { _ = try? ChildProcessRunner.stop(script: script, folder: folder) }
    for size in sizes {
      let schema = "bench_\(size)_\(UUID().uuidString.prefix(6).lowercased())"
      let store = try PostgresStateStore(url: url + (url.contains("?") ? "&" : "?") + "schema=\(schema)")
      try await measure("postgres", size: size, store: store)
      await store.shutdown()
    }
  }

  /// A service record shaped like the ones `berth apply` writes for a kubernetes service (about 20 attributes).
  static func service(_ index: Int, port: Int) -> ResourceRecord {
    let hex = String(repeating: String(index, radix: 16), count: 64 / max(1, String(index, radix: 16).count) + 1)
      .prefix(64)
    return ResourceRecord(
      address: ResourceAddress(.service, "svc-\(index)"),
      attributes: [
        "compute_target": .string("aks-prod"), "inference_config": .string("scoring"),
        "models": .list([.string("model-\(index % 500):1")]), "code.sha256": .string(String(hex)),
        "environment.sha256": .string(String(hex)), "entry_script": .string("score.py"),
        "deployment.cpu_cores": .double(0.5), "deployment.memory_gb": .int(1), "deployment.port": .int(port),
        "deployment.worker_count": .int(2), "deployment.scoring_timeout_ms": .int(5000),
        "deployment.autoscale_enabled": .bool(true), "deployment.autoscale_max_replicas": .int(6),
        "metadata.labels.team": .string("team-\(index % 40)"), "revision": .string(String(hex.prefix(12))),
      ],
      outputs: [
        "instance": .string("svc-\(index)"), "revision": .string(String(hex.prefix(12))), "namespace": .string("ml-prod"),
        "image": .string("registry.example.com/berth/svc-\(index)@sha256:\(hex)"),
        "scoring_uri": .string("http://svc-\(index).ml-prod.svc.cluster.local/score"),
      ],
      dependencies: [ResourceAddress(.model, "model-\(index % 500)"), ResourceAddress(.inferenceConfig, "scoring")],
      updatedAt: Date())
  }

  private func measure(_ name: String, size: Int, store: any StateStoring) async throws {
    let clock = ContinuousClock()
    let apply = try await store.beginApply(operation: "apply", who: "bench", planDigest: "bench", at: Date())
    let began = clock.now
    for index in 0..<size {
      let record = Self.service(index, port: 10_000 + index % 50_000)
      try await store.record(StateSample.completion(apply, record.address, change: .put(record)))
    }
    let writing = seconds(clock.now - began)
    try await store.finishApply(id: apply, result: "succeeded", at: Date())
    report(
      "state-\(name)-write", size: size, writing,
      String(format: "(%d actions recorded one by one: %.0f writes/s)", size, Double(size) / writing))
    var count = 0
    let snapshot = try await median(repetitions) { count = try await store.snapshot().resources.count }
    report("state-\(name)-snapshot", size: size, snapshot, "(\(count) records read)")
    let next = try await store.beginApply(operation: "apply", who: "bench", planDigest: "bench-2", at: Date())
    var samples: [Double] = []
    for index in 0..<max(20, repetitions) {
      let record = Self.service(index, port: 20_000 + index)
      let start = clock.now
      try await store.record(StateSample.completion(next, record.address, action: "update", change: .put(record)))
      samples.append(seconds(clock.now - start))
    }
    try await store.finishApply(id: next, result: "succeeded", at: Date())
    samples.sort()
    report(
      "state-\(name)-record", size: size, samples[samples.count / 2],
      String(
        format: "(one action recorded into %d records; median of %d, p90 %.2f ms)", size, samples.count,
        samples[samples.count * 9 / 10] * 1000))
  }
}

private func seconds(_ duration: Duration) -> Double {
  Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Stops the throwaway PostgreSQL server.
enum ChildProcessRunner {
  static func stop(script: String, folder: String) throws {
    let stop = Process()
    stop.executableURL = URL(fileURLWithPath: script)
    stop.arguments = ["stop", folder]
    try stop.run()
    stop.waitUntilExit()
  }
}
