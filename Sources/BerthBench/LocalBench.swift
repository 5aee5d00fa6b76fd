import BerthKit
import BerthTargetLocal
import Foundation

/// The local target on the diabetes example: cold and warm environment builds, apply → first 200,
/// and `/score` throughput through Berth's gateway versus straight to the same azmlinfsrv.
struct LocalBench {
  let example: String
  let duration: Double
  let threads: Int

  static let sample =
    #"{"data": [[0.038076, 0.05068, 0.061696, 0.021872, -0.044223, -0.034821, -0.043401, -0.002592, 0.019907, -0.017646]]}"#

  func run() async throws {
    let scratch = NSTemporaryDirectory() + "berth-bench-local-\(UUID().uuidString.prefix(6))"
    try FileManager.default.copyItem(atPath: example, toPath: scratch)
    try? FileManager.default.removeItem(atPath: scratch + "/.berth")
    let port = PortProbe.findFreePort(in: 30000...39999)!
    let manifest = scratch + "/berth.yaml"
    try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(of: "port: 8890", with: "port: \(port)")
      .write(toFile: manifest, atomically: true, encoding: .utf8)
    // BERTH_BINARY lets a debug berth-bench drive a release berth (its gateway is what the throughput measures).
    let berth =
      ProcessInfo.processInfo.environment["BERTH_BINARY"]
      ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("berth").path
    let reconciler = Reconciler.standard(gatewayCommand: [berth, "gateway", "serve"])
    defer { try? FileManager.default.removeItem(atPath: scratch) }

    // Cold: empty environment cache and an empty uv download cache (wheels come from PyPI).
    let uvCache = NSTemporaryDirectory() + "berth-bench-uv-\(UUID().uuidString.prefix(6))"
    setenv("UV_CACHE_DIR", uvCache, 1)
    let cold = try await timedApply(reconciler, scratch, port: port)
    print(String(format: "local     cold apply → first 200: %6.2f s  (environment built with uv from PyPI, empty caches)", cold))
    try await destroy(reconciler, scratch)
    let warm = try await timedApply(reconciler, scratch, port: port)
    print(String(format: "local     warm apply → first 200: %6.2f s  (environment cached; model registered)", warm))
    try? FileManager.default.removeItem(atPath: uvCache)
    unsetenv("UV_CACHE_DIR")

    let report = try await reconciler.services(path: scratch).first!
    guard case .int(let backend)? = report.outputs["backend_port"] else { throw BenchError("no backend port recorded") }
    let workers = 1  // the example's deployment.worker_count
    for round in 0..<2 {
      let bare = throughput(port: backend)
      let proxied = throughput(port: port)
      print(
        String(
          format:
            "local     throughput round %d: bare azmlinfsrv %7.1f req/s, through Berth's gateway %7.1f req/s, ratio %.2f× (%d workers, %d client threads, %.0f s each)",
          round + 1, bare, proxied, proxied / bare, workers, threads, duration))
    }
    try await destroy(reconciler, scratch)
  }

  private func timedApply(_ reconciler: Reconciler, _ root: String, port: Int) async throws -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    let (context, diagnostics) = try await reconciler.prepare(path: root)
    guard let context else { throw BenchError("\(diagnostics)") }
    let summary = try await reconciler.apply(reconciler.plan(context), context: context, parallelism: 10, events: { _ in })
    guard summary.isSuccess else { throw BenchError("apply failed: \(summary.failed)") }
    let client = LoopbackHTTPClient(timeout: .seconds(10))
    while (try? client.postJSON(port: port, body: Self.sample))?.status != 200 {
      try await Task.sleep(nanoseconds: 10_000_000)
    }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }

  private func destroy(_ reconciler: Reconciler, _ root: String) async throws {
    let (context, _) = try await reconciler.prepare(path: root)
    guard let context else { return }
    _ = try await reconciler.apply(reconciler.plan(context, destroy: true), context: context, parallelism: 10, events: { _ in })
  }

  /// Successful POST /score per second from `threads` client threads for `duration` seconds.
  private func throughput(port: Int) -> Double {
    let counter = Counter()
    let group = DispatchGroup()
    let deadline = Date().addingTimeInterval(duration)
    for _ in 0..<threads {
      group.enter()
      Thread.detachNewThread {
        let client = LoopbackHTTPClient(timeout: .seconds(10))
        var mine = 0
        while Date() < deadline {
          if (try? client.postJSON(port: port, body: Self.sample))?.status == 200 { mine += 1 }
        }
        counter.add(mine)
        group.leave()
      }
    }
    group.wait()
    return Double(counter.value) / duration
  }
}

/// A thread-safe running total.
final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var total = 0

  func add(_ count: Int) { lock.withLock { total += count } }
  var value: Int { lock.withLock { total } }
}
