import BerthTargetLocal
import BerthTesting
import Foundation
import Testing

/// `berth endpoints`: what the manifests declare and what was recorded, as users read it, and the credential
/// commands against a real endpoint.
@Suite struct EndpointsCommandTests {
  static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")
  static let fixture = RepositoryPaths.root.appendingPathComponent("Tests/BerthKitTests/Fixtures/valid/endpoint-blue-green")

  func scratchCopy() throws -> ScratchDirectory {
    let scratch = try ScratchDirectory("endpoints")
    try FileManager.default.removeItem(atPath: scratch.path)
    try FileManager.default.copyItem(atPath: Self.fixture.path, toPath: scratch.path)
    return scratch
  }

  @Test func listAndShowMatchGoldenFiles() throws {
    let scratch = try scratchCopy()
    for (arguments, name) in [(["endpoints", "list"], "endpoints-list"), (["endpoints", "show", "scoring"], "endpoints-show")] {
      let result = try BerthProcess.run(arguments, in: scratch.path)
      #expect(result.status == 0, "\(result.stderr)")
      let mismatch = SnapshotFile.mismatch(result.stdout, file: Self.snapshots.appendingPathComponent("berth-\(name).txt"))
      #expect(mismatch == nil, "\(mismatch ?? "")")
    }
  }

  /// The blue/green example through the real CLI: real azmlinfsrv servers behind the real gateway.
  ///
  /// Slow (about 20 s with a warm environment cache): two scoring servers start, then the split is measured.
  @Test func blueGreenExampleEnforcesKeysSplitsTrafficAndRotatesKeys() throws {
    let scratch = try ScratchDirectory("blue-green")
    let source = RepositoryPaths.examples.appendingPathComponent("blue-green").path
    for item in try FileManager.default.contentsOfDirectory(atPath: source) where item != ".berth" {
      try FileManager.default.copyItem(atPath: source + "/" + item, toPath: scratch.path + "/" + item)
    }
    let port = try #require(PortProbe.findFreePort(in: 20000...29999))
    let manifest = scratch.path + "/berth.yaml"
    try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(of: "port: 8900", with: "port: \(port)")
      .write(toFile: manifest, atomically: true, encoding: .utf8)
    try scratch.write(
      "workspace.yaml",
      "apiVersion: berth/v1\nkind: Workspace\nmetadata: {name: test}\nspec: {environment_cache: \(LocalServiceTests.environmentCache)}\n"
    )
    defer { _ = try? BerthProcess.run(["destroy", "--auto-approve"], in: scratch.path) }

    let apply = try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path)
    #expect(apply.status == 0, "\(apply.output)")
    #expect(apply.stdout.contains("endpoint/diabetes: gateway listening on 127.0.0.1:\(port)"), "\(apply.stdout)")

    // No key: 401 with the realm; nothing of the key anywhere in what berth printed or recorded.
    let client = LoopbackHTTPClient(timeout: .seconds(30))
    let refused = try client.postJSON(port: port, body: LocalServiceTests.sample)
    #expect(refused.status == 401)
    let credentials = try BerthProcess.run(["endpoints", "get-credentials", "diabetes", "--json"], in: scratch.path)
    #expect(credentials.status == 0, "\(credentials.output)")
    let keys = try #require(try JSONSerialization.jsonObject(with: Data(credentials.stdout.utf8)) as? [String: String])
    let primary = try #require(keys["primaryKey"])
    let secondary = try #require(keys["secondaryKey"])
    #expect(primary.count >= 43, "256-bit keys")
    let listed = try BerthProcess.run(["state", "list"], in: scratch.path).output + apply.output
    let shown = try BerthProcess.run(["endpoints", "show", "diabetes"], in: scratch.path).output
    let stateFile = try Data(contentsOf: URL(fileURLWithPath: scratch.path + "/.berth/state.db"))
    for secret in [primary, secondary] {
      #expect(!listed.contains(secret) && !shown.contains(secret), "a key was printed")
      #expect(stateFile.range(of: Data(secret.utf8)) == nil, "a key is in state")
    }

    // The 90/10 split, from the answering deployment's header; a pin overrides it.
    var answered: [String: Int] = [:]
    for _ in 0..<300 {
      let response = try client.postJSON(
        port: port, body: LocalServiceTests.sample, headers: ["Authorization": "Bearer \(primary)"])
      #expect(response.status == 200)
      answered[response.headers["azureml-model-deployment"] ?? "?", default: 0] += 1
    }
    print("300 requests: \(answered)")
    #expect((answered["blue"] ?? 0) + (answered["green"] ?? 0) == 300)
    #expect((10...60).contains(answered["green"] ?? 0), "≈ 10 % of 300 (binomial: 30 ± 5σ)")
    let pinned = try client.postJSON(
      port: port, body: LocalServiceTests.sample,
      headers: ["Authorization": "Bearer \(secondary)", "azureml-model-deployment": "green"])
    #expect(pinned.status == 200 && pinned.headers["azureml-model-deployment"] == "green")
    let invoke = try BerthProcess.run(
      ["endpoints", "invoke", "diabetes", "--request-file", "sample-request.json", "--deployment", "green"], in: scratch.path)
    #expect(invoke.status == 0 && invoke.stdout.hasPrefix("[199.8457"), "\(invoke.output)")
    let plain = try BerthProcess.run(["endpoints", "get-credentials", "diabetes"], in: scratch.path)
    #expect(plain.stdout == "primaryKey: \(primary)\nsecondaryKey: \(secondary)\n")

    // Regenerate the primary key: the old one is refused, the secondary keeps working, and state follows (no drift).
    let regenerate = try BerthProcess.run(
      ["endpoints", "regenerate-keys", "diabetes", "--key-type", "primary"], in: scratch.path)
    #expect(regenerate.status == 0, "\(regenerate.output)")
    Thread.sleep(forTimeInterval: 1)
    #expect(try client.postJSON(port: port, body: "{}", headers: ["Authorization": "Bearer \(primary)"]).status == 401)
    #expect(
      try client.postJSON(port: port, body: LocalServiceTests.sample, headers: ["Authorization": "Bearer \(secondary)"])
        .status == 200)
    #expect(try BerthProcess.run(["drift"], in: scratch.path).status == 0)

    // A key changed by hand is drift, named by fingerprint only.
    let keysFile = scratch.path + "/.berth/run/_endpoints/diabetes/keys.json"
    var onDisk = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: keysFile))) as? [String: String])
    onDisk["secondary_key"] = "replaced-by-hand-\(UUID().uuidString)"
    try JSONSerialization.data(withJSONObject: onDisk).write(to: URL(fileURLWithPath: keysFile))
    let drift = try BerthProcess.run(["drift"], in: scratch.path)
    #expect(drift.status == 2, "\(drift.output)")
    #expect(drift.stdout.contains("key_fingerprint"), "\(drift.output)")
    #expect(!drift.output.contains("replaced-by-hand"))

    // Moving traffic is an endpoint change only: no scoring server restarts.
    try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(of: "blue: 90", with: "blue: 0")
      .replacingOccurrences(of: "green: 10", with: "green: 100").write(toFile: manifest, atomically: true, encoding: .utf8)
    let plan = try BerthProcess.run(["plan"], in: scratch.path)
    #expect(plan.stdout.contains("~ endpoint/diabetes update"), "\(plan.output)")
    #expect(!plan.stdout.contains("service/"), "\(plan.output)")
    #expect(try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path).status == 0)
    let after = try client.postJSON(port: port, body: LocalServiceTests.sample, headers: ["Authorization": "Bearer \(secondary)"])
    #expect(after.status == 401, "the hand-made key file is what the gateway serves now; the old secondary is gone")
    let newKeys = try #require(
      try JSONSerialization.jsonObject(
        with: Data(try BerthProcess.run(["endpoints", "get-credentials", "diabetes", "--json"], in: scratch.path).stdout.utf8))
        as? [String: String])
    for _ in 0..<20 {
      let response = try client.postJSON(
        port: port, body: LocalServiceTests.sample, headers: ["Authorization": "Bearer \(newKeys["primaryKey"] ?? "")"])
      #expect(response.status == 200 && response.headers["azureml-model-deployment"] == "green")
    }
    let data = try BerthProcess.run(["logs", "green", "--data", "--tail", "1"], in: scratch.path)
    #expect(data.status == 0, "\(data.output)")
    let line = try #require(
      try JSONSerialization.jsonObject(with: Data(data.stdout.utf8)) as? [String: Any], "one JSON line: \(data.stdout)")
    #expect(line["deployment"] as? String == "green" && line["status"] as? Int == 200)
    #expect(try BerthProcess.run(["logs", "blue", "--data"], in: scratch.path).status != 0, "blue collects nothing")

    let destroy = try BerthProcess.run(["destroy", "--auto-approve"], in: scratch.path)
    #expect(destroy.status == 0, "\(destroy.output)")
    #expect(PortProbe.isFree(port: port))
  }

  @Test func anUnknownEndpointIsAnErrorNotACrash() throws {
    let scratch = try scratchCopy()
    let result = try BerthProcess.run(["endpoints", "show", "scorng"], in: scratch.path)
    #expect(result.status != 0)
    #expect(result.stderr.contains("endpoint 'scorng' is neither declared nor recorded"))
    #expect(!result.stderr.contains("Fatal error"))
  }
}
