import BerthGateway
import BerthPythonSpec
import BerthTargetLocal
import BerthTesting
import Foundation

/// `/score` through `berth gateway` (key auth) against bare `azmlinfsrv`, same wrk load, same run;
/// then the gateway alone, pinned to one core, against a trivial upstream.
struct GatewayBench {
  let duration: Int
  let connections: Int
  let workers: Int
  let rounds: Int

  static let script = """
    import json
    def init():
        pass
    def run(raw_data):
        return {"prediction": [sum(json.loads(raw_data)["data"][0])]}
    """

  func run() async throws {
    guard Self.which("wrk") != nil else { throw BenchError("wrk is not installed (scripts/bootstrap installs it)") }
    let scratch = NSTemporaryDirectory() + "berth-bench-gateway-\(UUID().uuidString.prefix(6))"
    try FileManager.default.createDirectory(atPath: scratch + "/src", withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    try Self.script.write(toFile: scratch + "/src/score.py", atomically: true, encoding: .utf8)
    // BERTH_BINARY lets a debug berth-bench drive a release berth: only the gateway's own speed is measured.
    let berth =
      ProcessInfo.processInfo.environment["BERTH_BINARY"]
      ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("berth").path

    let interpreter = try PythonInterpreterLocator().locate(version: nil)
    let environment = try await PythonEnvironmentBuilder(cacheDirectory: NSTemporaryDirectory() + "berth-test-envcache")
      .build(PythonEnvironmentSpec(pythonVersion: nil, requirements: ["azureml-inference-server-http"]), interpreter: interpreter)
    let controller = ScoringProcess()
    let scoringPort = PortProbe.findFreePort()!
    let handle = try controller.launch(
      ScoringLaunchRequest(
        environment: environment, sourceDirectory: scratch + "/src", entryScript: "score.py", port: scoringPort,
        workerCount: workers, logFile: scratch + "/server.log"))
    defer { _ = ScoringProcess.stopBlocking(processGroup: handle.processGroup, grace: .seconds(5)) }
    guard case .healthy = await controller.waitUntilHealthy(port: scoringPort, pid: handle.pid, timeout: .seconds(90))
    else { throw BenchError("azmlinfsrv did not start; see \(scratch)/server.log") }

    let keys = EndpointKeys.generate()
    try SecretFiles.writeKeys(keys, to: scratch + "/keys.json")
    let body = #"{"data": [[1.0, 2.0, 3.0]]}"#
    let lua = scratch + "/post.lua"
    // The script holds the key: owner-only, and removed with the scratch folder.
    let request = """
      wrk.method = "POST"
      wrk.body = '\(body)'
      wrk.headers["Content-Type"] = "application/json"
      wrk.headers["Authorization"] = "Bearer \(keys.primaryKey)"
      """
    guard FileManager.default.createFile(atPath: lua, contents: Data(request.utf8), attributes: [.posixPermissions: 0o600])
    else { throw BenchError("cannot write \(lua)") }

    let gatewayPort = PortProbe.findFreePort()!
    let gateway = try startGateway(
      berth: berth, folder: scratch, name: "scoring", port: gatewayPort,
      upstream: "127.0.0.1:\(scoringPort)", concurrency: connections, pinned: nil)
    defer { gateway.terminate() }
    print(
      "gateway   wrk -t1 -c\(connections) -d\(duration)s POST /score; azmlinfsrv --worker_count \(workers); \(ProcessInfo.processInfo.activeProcessorCount) cores"
    )
    for round in 1...rounds {
      let bare = try wrk(port: scoringPort, script: lua, cpu: nil)
      let cpuBefore = Self.cpuSeconds(pid: gateway.processIdentifier)
      let through = try wrk(port: gatewayPort, script: lua, cpu: nil)
      let cpuPerRequest = (Self.cpuSeconds(pid: gateway.processIdentifier) - cpuBefore) / Double(max(1, through.requests))
      print(
        String(
          format:
            "gateway   round %d: bare azmlinfsrv %7.1f req/s (p50 %.2f ms, p99 %.2f ms); through gateway with key auth %7.1f req/s (p50 %.2f ms, p99 %.2f ms); ratio %.2f×, added p50 %+.2f ms, p99 %+.2f ms; gateway CPU %.0f µs/request",
          round, bare.rate, bare.p50, bare.p99, through.rate, through.p50, through.p99, through.rate / bare.rate,
          through.p50 - bare.p50, through.p99 - bare.p99, cpuPerRequest * 1e6))
    }

    // One connection: the added latency of the hop itself, without the queueing of a saturated machine.
    for round in 1...rounds {
      let bare = try wrk(port: scoringPort, script: lua, cpu: nil, connections: 1)
      let through = try wrk(port: gatewayPort, script: lua, cpu: nil, connections: 1)
      print(
        String(
          format:
            "gateway   one connection, round %d: bare azmlinfsrv %7.1f req/s (p50 %.2f ms, p99 %.2f ms); through gateway %7.1f req/s (p50 %.2f ms, p99 %.2f ms); added p50 %+.2f ms, p99 %+.2f ms",
          round, bare.rate, bare.p50, bare.p99, through.rate, through.p50, through.p99, through.p50 - bare.p50,
          through.p99 - bare.p99))
    }

    // The gateway alone: one core for it, the other for wrk and the trivial upstream.
    let upstream = try await StaticUpstream(name: "static")
    let alonePort = PortProbe.findFreePort()!
    let alone = try startGateway(
      berth: berth, folder: scratch, name: "alone", port: alonePort, upstream: upstream.address, concurrency: 1024,
      pinned: 0)
    defer { alone.terminate() }
    let direct = try wrk(port: upstream.port, script: lua, cpu: 1)
    for round in 1...rounds {
      let cpuBefore = Self.cpuSeconds(pid: alone.processIdentifier)
      let result = try wrk(port: alonePort, script: lua, cpu: 1)
      let cpuPerRequest = (Self.cpuSeconds(pid: alone.processIdentifier) - cpuBefore) / Double(max(1, result.requests))
      print(
        String(
          format:
            "gateway   alone on one core, round %d: %8.1f req/s (p50 %.2f ms, p99 %.2f ms), gateway CPU %.0f µs/request; the trivial upstream direct: %8.1f req/s",
          round, result.rate, result.p50, result.p99, cpuPerRequest * 1e6, direct.rate))
    }
    await upstream.stop()
  }

  /// Writes a configuration and starts `berth gateway` on it, optionally pinned to one CPU with taskset.
  private func startGateway(
    berth: String, folder: String, name: String, port: Int, upstream: String, concurrency: Int, pinned: Int?
  ) throws -> Process {
    let configuration = GatewayConfiguration(
      endpoint: name, port: port, keysFile: folder + "/keys.json",
      deployments: [.init(name: "blue", upstreams: [upstream], replicaMaxConcurrentRequests: concurrency)],
      traffic: ["blue": 100], listeningFile: folder + "/\(name).listening")
    let path = folder + "/\(name).json"
    try JSONEncoder().encode(configuration).write(to: URL(fileURLWithPath: path))
    let process = Process()
    if let pinned {
      process.executableURL = URL(fileURLWithPath: Self.which("taskset")!)
      process.arguments = ["-c", String(pinned), berth, "gateway", "--config", path]
    } else {
      process.executableURL = URL(fileURLWithPath: berth)
      process.arguments = ["gateway", "--config", path]
    }
    try process.run()
    for _ in 0..<500 where !FileManager.default.fileExists(atPath: folder + "/\(name).listening") {
      Thread.sleep(forTimeInterval: 0.02)
    }
    guard FileManager.default.fileExists(atPath: folder + "/\(name).listening") else {
      process.terminate()
      throw BenchError("berth gateway did not start listening")
    }
    return process
  }

  struct Result {
    var requests: Int
    var rate: Double
    var p50: Double
    var p99: Double
  }

  /// Runs wrk against 127.0.0.1:`port` and reads requests/s and the 50th and 99th latency percentiles (ms).
  private func wrk(port: Int, script: String, cpu: Int?, connections: Int? = nil) throws -> Result {
    let process = Process()
    let pipe = Pipe()
    var arguments = [
      "-t1", "-c\(connections ?? self.connections)", "-d\(duration)s", "--latency", "-s", script,
      "http://127.0.0.1:\(port)/score",
    ]
    if let cpu {
      process.executableURL = URL(fileURLWithPath: Self.which("taskset")!)
      arguments = ["-c", String(cpu), Self.which("wrk")!] + arguments
    } else {
      process.executableURL = URL(fileURLWithPath: Self.which("wrk")!)
    }
    process.arguments = arguments
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard output.contains("Requests/sec:"), !output.contains("Non-2xx") else {
      throw BenchError("wrk failed or saw errors:\n\(output)")
    }
    func field(_ prefix: String) -> String? {
      output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(prefix) }?
        .dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
    }
    // "  12345 requests in 10.00s, 1.23MB read"
    let requests =
      output.split(separator: "\n").lazy.compactMap { line -> Int? in
        let words = line.split(separator: " ")
        return words.count > 2 && words[1] == "requests" && words[2] == "in" ? Int(words[0]) : nil
      }.first ?? 0
    return Result(
      requests: requests, rate: Double(field("Requests/sec:") ?? "") ?? 0, p50: Self.milliseconds(field("50%") ?? ""),
      p99: Self.milliseconds(field("99%") ?? ""))
  }

  /// User plus system CPU time of process `pid` so far, from `/proc/PID/stat` (clock ticks of 1/100 s).
  static func cpuSeconds(pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return 0 }
    // After the command name: state is field 3, utime field 14, stime field 15.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
  }

  /// wrk's `1.23ms`, `870.00us`, `1.02s` in milliseconds.
  static func milliseconds(_ text: String) -> Double {
    for (suffix, scale) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where text.hasSuffix(suffix) {
      return (Double(text.dropLast(suffix.count)) ?? .nan) * scale
    }
    return .nan
  }

  static func which(_ tool: String) -> String? {
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(tool)" }
      .first { FileManager.default.isExecutableFile(atPath: $0) }
  }
}
