import BerthProcess
import Foundation
import Testing

@testable import BerthTargetLocal

/// Real `azmlinfsrv` processes on free loopback ports.
@Suite(.timeLimit(.minutes(15))) struct ScoringProcessTests {
  static let echoScript = """
    import json, os
    def init():
        print("echo init: model dir", os.environ.get("AZUREML_MODEL_DIR"))
    def run(raw_data):
        return {"echo": json.loads(raw_data), "workers": os.environ.get("WORKER_COUNT"), "model_dir": os.environ.get("AZUREML_MODEL_DIR")}
    """

  static let failingScript = """
    def init():
        raise RuntimeError("model file missing: boom-42")
    def run(raw_data):
        return raw_data
    """

  let controller = ScoringProcess()

  func request(script: String, folder: String, port: Int) async throws -> ScoringLaunchRequest {
    let environment = try await SharedEnvironment.built()
    try FileManager.default.createDirectory(atPath: folder + "/src", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: folder + "/model", withIntermediateDirectories: true)
    try Scratch.write(script, to: folder + "/src/score.py")
    return ScoringLaunchRequest(
      environment: environment, sourceDirectory: folder + "/src", entryScript: "score.py",
      modelDirectory: folder + "/model", port: port, workerCount: 1, scoringTimeoutMs: 60000,
      logFile: folder + "/logs/server.log")
  }

  @Test func servesScoresAndStops() async throws {
    let folder = try Scratch.directory("berth-serve")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let port = try #require(PortProbe.findFreePort())
    let handle = try controller.launch(try await request(script: Self.echoScript, folder: folder, port: port))
    #expect(handle.processGroup == handle.pid)
    #expect(getsid(handle.pid) == handle.pid)
    #expect(handle.startTime != nil)
    #expect(ProcessLiveness.isAlive(pid: handle.pid, startTime: handle.startTime))
    #expect(!ProcessLiveness.isAlive(pid: handle.pid, startTime: (handle.startTime ?? 0) + 1))
    // Detached: stdin is /dev/null and both output streams go to the log file.
    let streams = (0...2).map { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(handle.pid)/fd/\($0)") }
    #expect(streams == ["/dev/null", handle.logFile, handle.logFile])

    let outcome = await controller.waitUntilHealthy(port: port, pid: handle.pid, timeout: .seconds(90))
    guard case .healthy(let after) = outcome else {
      let tail = LogTail.lastLines(file: handle.logFile, count: 40).joined(separator: "\n")
      Issue.record("not healthy: \(outcome)\n\(tail)")
      _ = await controller.stop(processGroup: handle.processGroup, grace: .seconds(5))
      return
    }
    print("healthy after \(after)")
    let client = LoopbackHTTPClient(timeout: .seconds(30))
    let liveness = try client.get(port: port)
    #expect(liveness.status == 200)
    #expect(liveness.text.contains("Healthy"))
    let scored = try client.postJSON(port: port, body: #"{"data": [1, 2, 3]}"#)
    #expect(scored.status == 200)
    let json = try #require(try JSONSerialization.jsonObject(with: scored.body) as? [String: Any])
    #expect((json["echo"] as? [String: Any])?["data"] as? [Int] == [1, 2, 3])
    #expect(json["workers"] as? String == "1")
    #expect(json["model_dir"] as? String == folder + "/model")
    #expect(controller.isAlive(pid: handle.pid))

    let stopped = await controller.stop(processGroup: handle.processGroup, grace: .seconds(10))
    guard case .terminated = stopped else {
      Issue.record("unexpected stop outcome \(stopped)")
      return
    }
    #expect(!controller.isAlive(pid: handle.pid))
    #expect(ProcessLiveness.liveMembers(ofProcessGroup: handle.processGroup).isEmpty)
    #expect(PortProbe.isFree(port: port))
    #expect(LogTail.lastLines(file: handle.logFile, count: 400).contains { $0.contains("echo init: model dir") })
    #expect(await controller.stop(processGroup: handle.processGroup, grace: .seconds(1)) == .notRunning)
  }

  @Test func failingInitExitsWithCode3AndLogsTheException() async throws {
    let folder = try Scratch.directory("berth-fail")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let port = try #require(PortProbe.findFreePort())
    let handle = try controller.launch(try await request(script: Self.failingScript, folder: folder, port: port))
    let outcome = await controller.waitUntilHealthy(port: port, pid: handle.pid, timeout: .seconds(90))
    #expect(outcome == .exited(code: 3))
    let tail = LogTail.lastLines(file: handle.logFile, count: 40)
    #expect(tail.contains { $0.contains("RuntimeError: model file missing: boom-42") })
    #expect(!controller.isAlive(pid: handle.pid))
    #expect(PortProbe.isFree(port: port))
  }

  @Test func refusesABusyPort() async throws {
    let folder = try Scratch.directory("berth-busy")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let port = try #require(PortProbe.findFreePort())
    let fd = SocketAddress.tcpSocket()
    defer { close(fd) }
    #expect(SocketAddress.bind(fd, SocketAddress.ipv4(SocketAddress.loopback, port: port)) == 0)
    #expect(listen(fd, 1) == 0)
    do {
      _ = try controller.launch(try await request(script: Self.echoScript, folder: folder, port: port))
      Issue.record("expected portInUse")
    } catch let error as LocalTargetError {
      #expect(error.kind == .portInUse)
      #expect(error.isRetryable)
    }
  }

  @Test func timesOutWhileTheServerIsStillStarting() async throws {
    let port = try #require(PortProbe.findFreePort())
    // A process that never listens: waiting times out, and stop kills its whole group.
    let folder = try Scratch.directory("berth-slow")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Scratch.write("#!/bin/sh\nsleep 60 &\nexec sleep 60\n", to: folder + "/fake-server", executable: true)
    var request = try await request(script: Self.echoScript, folder: folder, port: port)
    request.serverExecutable = folder + "/fake-server"
    request.pythonExecutable = folder + "/fake-server"  // what is started (with the loopback launcher's arguments)
    let handle = try controller.launch(request)
    #expect(await controller.waitUntilHealthy(port: port, pid: handle.pid, timeout: .milliseconds(600)) == .timedOut)
    #expect(ProcessLiveness.liveMembers(ofProcessGroup: handle.processGroup).count == 2)
    let stopped = await controller.stop(processGroup: handle.processGroup, grace: .seconds(5))
    #expect(stopped != .notRunning)
    #expect(ProcessLiveness.liveMembers(ofProcessGroup: handle.processGroup).isEmpty)
  }

  @Test func noticesTheExitOfAProcessThatIsNotOurChild() async throws {
    let spawned = try SpawnedCommandRunner().run(Command("/bin/sh", ["-c", "sleep 1 >/dev/null 2>&1 & echo $!"]))
    let pid = try #require(spawned.outputLines.last.flatMap { Int32($0) })
    #expect(controller.isAlive(pid: pid))
    let port = try #require(PortProbe.findFreePort())
    let outcome = await controller.waitUntilHealthy(port: port, pid: pid, timeout: .seconds(20))
    #expect(outcome == .exited(code: nil))
    #expect(!controller.isAlive(pid: pid))
  }

  @Test func reportsMissingServerAndScript() async throws {
    let folder = try Scratch.directory("berth-missing")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var request = try await request(script: Self.echoScript, folder: folder, port: 1)
    request.entryScript = "nope.py"
    #expect(throws: LocalTargetError.self) { try controller.launch(request) }
    request.serverExecutable = folder + "/bin/azmlinfsrv"
    #expect(throws: LocalTargetError.self) { try controller.launch(request) }
  }
}
