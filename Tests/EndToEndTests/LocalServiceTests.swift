import BerthTargetLocal
import BerthTesting
import Foundation
import Testing

/// The diabetes example through the real CLI: a real Python environment, real azmlinfsrv processes.
@Suite(.serialized) struct LocalServiceTests {
  /// Environments are cached by content; sharing one cache across runs keeps the suite fast.
  static let environmentCache = NSTemporaryDirectory() + "berth-e2e-envcache"
  static let sample =
    #"{"data": [[0.038076, 0.05068, 0.061696, 0.021872, -0.044223, -0.034821, -0.043401, -0.002592, 0.019907, -0.017646], [-0.001882, -0.044642, -0.051474, -0.026328, -0.008449, -0.019163, 0.074412, -0.039493, -0.068332, -0.092204]]}"#

  /// A copy of manifests/examples/diabetes on a free port, with the shared environment cache.
  func example() throws -> (ScratchDirectory, Int) {
    let scratch = try ScratchDirectory("diabetes")
    let source = RepositoryPaths.examples.appendingPathComponent("diabetes").path
    for item in try FileManager.default.contentsOfDirectory(atPath: source) where item != ".berth" {
      try FileManager.default.copyItem(atPath: source + "/" + item, toPath: scratch.path + "/" + item)
    }
    let port = PortProbe.findFreePort(in: 20000...29999)!
    let manifest = scratch.path + "/berth.yaml"
    let text = try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(of: "port: 8890", with: "port: \(port)")
    try text.write(toFile: manifest, atomically: true, encoding: .utf8)
    try scratch.write(
      "workspace.yaml",
      "apiVersion: berth/v1\nkind: Workspace\nmetadata: {name: test}\nspec: {environment_cache: \(Self.environmentCache)}\n")
    return (scratch, port)
  }

  func score(_ port: Int) -> String? {
    guard let response = try? LoopbackHTTPClient(timeout: .seconds(10)).postJSON(port: port, body: Self.sample),
      response.status == 200
    else { return nil }
    return response.text
  }

  @Test func deployScoreUpdateRepairAndDestroy() throws {
    let (scratch, port) = try example()
    let apply = try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path)
    #expect(apply.status == 0, "\(apply.output)")
    let answer = try #require(score(port))
    #expect(answer.hasPrefix("[199.8457"), "\(answer)")
    #expect(answer.contains("73.3564"))
    #expect(try LoopbackHTTPClient().get(port: port, path: "/swagger.json").status == 200)
    #expect(try BerthProcess.run(["plan", "--detailed-exitcode"], in: scratch.path).status == 0)

    // An update (new scoring code) under load: the old revision serves until the new one is healthy.
    let script = scratch.path + "/src/score.py"
    try (try String(contentsOfFile: script, encoding: .utf8) + "\n# revision 2\n").write(
      toFile: script, atomically: true, encoding: .utf8)
    let load = LoadLoop(port: port, body: Self.sample, threads: 4)
    let update = try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path)
    let (sent, failed) = load.stop()
    #expect(update.status == 0, "\(update.output)")
    #expect(update.stdout.contains("service/diabetes-local: updating"))
    #expect(sent > 20)
    #expect(failed == 0, "\(failed) of \(sent) requests failed during the update")

    // A broken init() fails the apply with the log tail shown, and the old revision keeps serving.
    let good = try String(contentsOfFile: script, encoding: .utf8)
    try good.replacingOccurrences(
      of: "def init():", with: "def init():\n    raise RuntimeError(\"cannot load weights: e2e-boom\")\n\n\ndef unused():"
    )
    .write(toFile: script, atomically: true, encoding: .utf8)
    let broken = try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path)
    #expect(broken.status == 1)
    #expect(broken.stdout.contains("init() failed (exit code 3)"), "\(broken.output)")
    #expect(broken.stdout.contains("e2e-boom"), "the log tail shows the exception")
    #expect(score(port) != nil, "the previous revision still serves")
    try good.write(toFile: script, atomically: true, encoding: .utf8)

    // Kill the scoring process: drift shows it, plan repairs it.
    let show = try BerthProcess.run(["services", "show", "diabetes-local"], in: scratch.path).stdout
    let pid = try #require(
      show.split(separator: "\n").first { $0.contains("  pid:") }.flatMap { Int32($0.split(separator: " ").last!) })
    kill(pid, SIGKILL)
    Thread.sleep(forTimeInterval: 0.5)
    let drift = try BerthProcess.run(["drift"], in: scratch.path)
    #expect(drift.status == 2)
    #expect(drift.stdout.contains("Missing: process \(pid) is not running"), "\(drift.output)")
    let repair = try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path)
    #expect(repair.status == 0, "\(repair.output)")
    #expect(score(port) != nil)
    #expect(try BerthProcess.run(["drift"], in: scratch.path).status == 0)

    // Destroy closes the port and leaves nothing running.
    let destroy = try BerthProcess.run(["destroy", "--auto-approve"], in: scratch.path)
    #expect(destroy.status == 0, "\(destroy.output)")
    #expect(PortProbe.isFree(port: port))
  }
  /// The pid of the scoring process `berth services show NAME` reports.
  func scoringPid(_ name: String, in directory: String) throws -> Int32? {
    let show = try BerthProcess.run(["services", "show", name], in: directory).stdout
    return show.split(separator: "\n").first { $0.contains("  pid:") }.flatMap { Int32($0.split(separator: " ").last!) }
  }

  @Test func renameKeepsServingAndImportAdoptsALostRecord() throws {
    let (scratch, port) = try example()
    #expect(try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path).status == 0)
    let pid = try #require(try scoringPid("diabetes-local", in: scratch.path))

    // Rename: the plan moves the record; the same process keeps serving under the new name.
    let manifest = scratch.path + "/berth.yaml"
    let original = try String(contentsOfFile: manifest, encoding: .utf8)
    try original.replacingOccurrences(
      of: "  name: diabetes-local\n", with: "  name: diabetes-api\n  previous_names: [diabetes-local]\n"
    ).write(toFile: manifest, atomically: true, encoding: .utf8)
    let plan = try BerthProcess.run(["plan", "--no-color"], in: scratch.path)
    #expect(plan.stdout.contains("> service/diabetes-api move"), "\(plan.output)")
    #expect(plan.stdout.contains("1 to move."))
    let rename = try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path)
    #expect(rename.status == 0, "\(rename.output)")
    #expect(try scoringPid("diabetes-api", in: scratch.path) == pid, "renaming did not restart the service")
    #expect(score(port) != nil)
    #expect(try BerthProcess.run(["drift"], in: scratch.path).status == 0)

    // An update after the rename rolls out in place (same runtime folder, same port).
    let script = scratch.path + "/src/score.py"
    try (try String(contentsOfFile: script, encoding: .utf8) + "\n# renamed\n").write(
      toFile: script, atomically: true, encoding: .utf8)
    let update = try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path)
    #expect(update.status == 0, "\(update.output)")
    let updatedPid = try #require(try scoringPid("diabetes-api", in: scratch.path))
    #expect(updatedPid != pid)
    #expect(score(port) != nil)

    // Lose the record, then adopt what runs: the next plan has nothing to do.
    #expect(try BerthProcess.run(["state", "rm", "service/diabetes-api"], in: scratch.path).status == 0)
    let missing = try BerthProcess.run(["import", "service/diabetes-api", "no-such-instance"], in: scratch.path)
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("nothing named 'no-such-instance' runs on compute target 'local'"), "\(missing.output)")
    let adopted = try BerthProcess.run(["import", "service/diabetes-api", "diabetes-local"], in: scratch.path)
    #expect(adopted.status == 0, "\(adopted.output)")
    #expect(adopted.stdout.contains("Imported service/diabetes-api: healthy"), "\(adopted.output)")
    #expect(adopted.stdout.contains("`berth plan` has nothing to do for it"))
    let after = try BerthProcess.run(["plan", "--detailed-exitcode"], in: scratch.path)
    #expect(after.status == 0, "\(after.output)")
    #expect(try scoringPid("diabetes-api", in: scratch.path) == updatedPid)
    let again = try BerthProcess.run(["import", "service/diabetes-api", "diabetes-local"], in: scratch.path)
    #expect(again.stderr.contains("service/diabetes-api is already in the state"), "\(again.output)")

    #expect(try BerthProcess.run(["destroy", "--auto-approve"], in: scratch.path).status == 0)
    #expect(PortProbe.isFree(port: port))
  }
}

/// Threads sending POST /score in a loop until stopped, counting failures (bounded, 127.0.0.1 only).
final class LoadLoop: @unchecked Sendable {
  private let lock = NSLock()
  private var sent = 0
  private var failed = 0
  private var running = true
  private let group = DispatchGroup()

  init(port: Int, body: String, threads: Int) {
    for _ in 0..<threads {
      group.enter()
      Thread.detachNewThread { [self] in
        let client = LoopbackHTTPClient(timeout: .seconds(30))
        let deadline = Date().addingTimeInterval(300)
        while lock.withLock({ running }) && Date() < deadline {
          let ok = (try? client.postJSON(port: port, body: body))?.status == 200
          lock.withLock {
            sent += 1
            if !ok { failed += 1 }
          }
        }
        group.leave()
      }
    }
  }

  func stop() -> (sent: Int, failed: Int) {
    lock.withLock { running = false }
    group.wait()
    return lock.withLock { (sent, failed) }
  }
}
