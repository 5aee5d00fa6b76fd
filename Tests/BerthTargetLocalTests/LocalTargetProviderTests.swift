import BerthGateway
import BerthModel
import BerthTargetAPI
import Foundation
import Testing

@testable import BerthTargetLocal

#if canImport(Glibc)
import Glibc
#endif

/// The local target with real processes: azmlinfsrv revisions behind `berth gateway`.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct LocalTargetProviderTests {
  let fixture: LocalServiceFixture
  let provider: LocalTargetProvider

  init() throws {
    fixture = try LocalServiceFixture()
    provider = LocalTargetProvider(
      runtimeDirectory: fixture.runtime, environmentCache: SharedEnvironment.cacheDirectory,
      gatewayCommand: try #require(GatewayProgram.command, "\(GatewayProgram.missing)"),
      timings: LocalTargetTimings(stopGrace: .seconds(10)))
  }

  @Test func deployUpdateFailObserveDelete() async throws {
    defer { stopEverything() }
    let layout = provider.layout(of: "coef")
    let client = LoopbackHTTPClient(timeout: .seconds(30))
    _ = try await SharedEnvironment.built()  // the conda file hashes to this environment: deploys reuse it

    _ = try await provider.apply(ApplyRequest(operation: .provision(name: "laptop", ComputeTargetSpec(type: .local))))

    // Deploy: the public port is chosen once and serves the model.
    let v1 = try fixture.deployment(revision: "rev0000001", models: [fixture.model(version: 1, coefficient: 2)])
    let progress = ProgressLines()
    let deployStart = ContinuousClock.now
    let deployed = try await provider.apply(ApplyRequest(operation: .deploy(v1), progress: progress.sink))
    let port = try #require(deployed.outputs.int("port"))
    let first = try client.postJSON(port: port, body: #"{"data": [1, 2, 3]}"#)
    print("deploy → first 200 (warm environment): \(ContinuousClock.now - deployStart); \(deployed.message)")
    print(progress.lines.map { "  | " + $0 }.joined(separator: "\n"))
    #expect(first.status == 200)
    let answer = try #require(try JSONSerialization.jsonObject(with: first.body) as? [String: Any])
    #expect(answer["prediction"] as? [Int] == [2, 4, 6])
    #expect(answer["label"] as? String == "fixture")
    #expect(answer["preload"] as? String == "true")
    let revision1 = layout.revision("rev0000001")
    #expect(answer["model_dir"] as? String == revision1.modelsRoot + "/coef/1")
    #expect(
      try FileManager.default.destinationOfSymbolicLink(atPath: revision1.modelsRoot + "/coef/1") == fixture.root + "/store/v1")
    #expect(try client.get(port: port, path: "/swagger.json").status == 200)
    #expect(progress.lines.first == "building environment…")
    #expect(progress.lines.contains { $0.hasPrefix("reused cached environment") })
    #expect(progress.lines.contains { $0.hasPrefix("starting revision rev0000001 on internal port") })
    #expect(progress.lines.contains { $0.hasPrefix("healthy after") })
    #expect(deployed.outputs["scoring_uri"] == .string("http://localhost:\(port)/score"))
    #expect(deployed.outputs["swagger_uri"] == .string("http://localhost:\(port)/swagger.json"))
    #expect(deployed.outputs["revision"] == .string("rev0000001"))
    #expect(deployed.outputs["model_dir"] == .string(revision1.modelsRoot + "/coef/1"))
    #expect(deployed.outputs["log_file"] == .string(revision1.serverLogFile))
    let gatewayPid = Int32(try #require(deployed.outputs.int("gateway_pid")))
    let pid1 = Int32(try #require(deployed.outputs.int("pid")))
    #expect(getsid(gatewayPid) == gatewayPid, "the gateway runs detached in its own session")
    #expect(deployed.outputs["auth_mode"] == .string("none"), "auth is off on local unless auth_enabled says otherwise")
    #expect(progress.lines.contains { $0.hasPrefix("gateway listening on 0.0.0.0:\(port) (pid \(gatewayPid), auth none)") })
    try expectLoopbackOnly(port: try #require(deployed.outputs.int("backend_port")))

    // Records lost (Berth killed before recording): a redeploy adopts the gateway and replaces the unknown
    // server without dropping a request.
    try FileManager.default.removeItem(atPath: layout.gateway.processRecordFile)
    try FileManager.default.removeItem(atPath: revision1.serverRecordFile)
    let orphanLoad = ScoringLoad(port: port, threads: 4)
    let redeployProgress = ProgressLines()
    let redeployed = try await provider.apply(ApplyRequest(operation: .deploy(v1), progress: redeployProgress.sink))
    try await Task.sleep(for: .milliseconds(300))
    orphanLoad.stop()
    print("redeploy with lost records: \(orphanLoad.succeeded) requests, \(orphanLoad.failures.count) failed")
    #expect(orphanLoad.failures.count == 0, "\(orphanLoad.failures.prefix(5))")
    #expect(redeployProgress.lines.contains { $0.hasPrefix("gateway on port \(port) (pid \(gatewayPid)) reloaded in") })
    #expect(redeployProgress.lines.contains { $0.contains("cannot be kept") })
    #expect(redeployed.outputs.int("gateway_pid") == Int(gatewayPid))
    #expect(redeployed.outputs.int("port") == port)
    #expect(eventually { !ProcessLiveness.isAlive(pid: pid1) })
    #expect(layout.revisionNames() == ["rev0000001"])
    let pid1b = Int32(try #require(redeployed.outputs.int("pid")))
    #expect(try client.postJSON(port: port, body: #"{"data": [5]}"#).status == 200)

    // Update under load: no request fails, answers move to the new model.
    let v2 = try fixture.deployment(revision: "rev0000002", models: [fixture.model(version: 2, coefficient: 3)])
    let load = ScoringLoad(port: port, threads: 8)
    try await Task.sleep(for: .milliseconds(300))
    let updateProgress = ProgressLines()
    let updated = try await provider.apply(
      ApplyRequest(operation: .update(v2, previous: redeployed.outputs), progress: updateProgress.sink))
    try await Task.sleep(for: .milliseconds(500))
    load.stop()
    print("update: \(updated.message)")
    print(updateProgress.lines.map { "  | " + $0 }.joined(separator: "\n"))
    print("load: \(load.succeeded) succeeded, \(load.failures.count) failed")
    #expect(load.failures.count == 0, "\(load.failures.prefix(5))")
    #expect(load.versions.contains(1) && load.versions.contains(2))
    #expect(load.versions.suffix(8).allSatisfy { $0 == 2 })
    #expect(updated.outputs.int("port") == port, "the public port is kept")
    #expect(updated.outputs.int("gateway_pid") == Int(gatewayPid))
    #expect(!ProcessLiveness.isAlive(pid: pid1b), "the old revision is stopped")
    #expect(!FileManager.default.fileExists(atPath: revision1.root), "and its folder removed")
    let pid2 = Int32(try #require(updated.outputs.int("pid")))

    // A revision whose init() fails: the error carries the log, the old revision keeps serving.
    let broken = try fixture.deployment(
      revision: "rev0000003", models: [fixture.model(version: 3, coefficient: 4)], entryScript: "failing.py")
    do {
      _ = try await provider.apply(ApplyRequest(operation: .update(broken, previous: updated.outputs)))
      Issue.record("a revision whose init() raises must not deploy")
    } catch let error as TargetError {
      #expect(error.message.hasPrefix("revision rev0000003 failed to start: init() failed (exit code 3)"))
      #expect(error.logTail.contains { $0.contains("coefficient file is corrupt: boom-7") }, "\(error.logTail)")
      #expect(error.logTail.count <= 40)
    }
    #expect(FileManager.default.fileExists(atPath: layout.failedStartLog))
    #expect(!FileManager.default.fileExists(atPath: layout.revision("rev0000003").root))
    let still = try client.postJSON(port: port, body: #"{"data": [1]}"#)
    #expect((try JSONSerialization.jsonObject(with: still.body) as? [String: Any])?["version"] as? Int == 2)

    // Observe: healthy, then missing once the revision's server dies.
    let request = ObserveRequest(
      computeTargetName: "laptop", computeTarget: ComputeTargetSpec(type: .local),
      services: [
        ObservedService(name: "coef", recordedOutputs: updated.outputs), ObservedService(name: "ghost", recordedOutputs: [:]),
      ])
    let healthy = try await provider.observe(request)
    #expect(healthy.services["coef"]?.health == .healthy)
    #expect(healthy.services["coef"]?.revision == "rev0000002")
    #expect(healthy.services["ghost"]?.health == .missing)
    #expect(healthy.backendCalls == 1)
    kill(pid2, SIGKILL)
    #expect(eventually { !ProcessLiveness.isAlive(pid: pid2) })
    let missing = try await provider.observe(request)
    #expect(missing.services["coef"]?.health == .missing)
    #expect(missing.services["coef"]?.message == "process \(pid2) is not running")
    #expect(missing.backendCalls == 0)

    // Delete: every process of the service ends (the orphaned worker too) and the port is free.
    let deleted = try await provider.apply(ApplyRequest(operation: .delete(name: "coef", previous: updated.outputs)))
    print("delete: \(deleted.message)")
    #expect(PortProbe.isFree(port: port))
    #expect(!ProcessLiveness.isAlive(pid: gatewayPid))
    #expect(ServiceProcessScan.scan(serviceRoot: layout.root).isEmpty)
    #expect(Self.processesMentioning(fixture.runtime).isEmpty)
    #expect(!FileManager.default.fileExists(atPath: layout.root))
  }

  /// A service's own gateway enforces `auth_enabled` (keys) and `token_auth_enabled` (tokens), an update that
  /// switches between them keeps the port, the keys file and the scoring server, and a killed gateway comes back
  /// with the same credentials.
  @Test func ownGatewayEnforcesKeysThenTokens() async throws {
    defer { stopEverything() }
    _ = try await SharedEnvironment.built()
    let client = LoopbackHTTPClient(timeout: .seconds(30))
    let layout = provider.layout(of: "coef").gateway
    let model = try fixture.model(version: 1, coefficient: 2)
    let keyed = fixture.deployment(revision: "rev00000k1", models: [model], settings: ["auth_enabled": .bool(true)])
    let deployed = try await provider.apply(ApplyRequest(operation: .deploy(keyed)))
    let port = try #require(deployed.outputs.int("port"))
    #expect(deployed.outputs["auth_mode"] == .string("key"))
    let keys = try SecretFiles.readKeys(layout.keysFile)
    #expect(deployed.outputs["key_fingerprint"] == layout.fingerprint(.key).map(FieldValue.string))
    #expect(!deployed.outputs.values.contains { $0.description.contains(keys.primaryKey) }, "no key in the outputs")
    let attributes = try FileManager.default.attributesOfItem(atPath: layout.keysFile)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
    let body = #"{"data": [1, 2]}"#
    let refused = try client.postJSON(port: port, body: body)
    #expect(refused.status == 401)
    #expect(refused.headers["www-authenticate"] == #"Bearer realm="coef""#)
    #expect(try client.postJSON(port: port, body: body, headers: ["Authorization": "Bearer \(keys.primaryKey)"]).status == 200)
    #expect(try client.postJSON(port: port, body: body, headers: ["Authorization": "Bearer \(keys.secondaryKey)"]).status == 200)
    #expect(try client.get(port: port).status == 200, "liveness needs no key")

    let tokened = fixture.deployment(revision: "rev00000k1", models: [model], settings: ["token_auth_enabled": .bool(true)])
    let updated = try await provider.apply(ApplyRequest(operation: .update(tokened, previous: deployed.outputs)))
    #expect(updated.outputs.int("port") == port)
    #expect(updated.outputs.int("pid") == deployed.outputs.int("pid"), "same revision: the scoring server is kept")
    #expect(updated.outputs["auth_mode"] == .string("aml_token"))
    let signingKey = try SecretFiles.readSigningKey(layout.signingKeyFile)
    let token = AccessToken.issue(endpoint: "coef", signingKey: signingKey, now: Date(), lifetime: 60)
    #expect(try client.postJSON(port: port, body: body, headers: ["Authorization": "Bearer \(token.text)"]).status == 200)
    #expect(
      try client.postJSON(port: port, body: body, headers: ["Authorization": "Bearer \(keys.primaryKey)"]).status == 401,
      "keys are not accepted in token mode")
    let expired = AccessToken.issue(endpoint: "coef", signingKey: signingKey, now: Date().addingTimeInterval(-120), lifetime: 60)
    #expect(try client.postJSON(port: port, body: body, headers: ["Authorization": "Bearer \(expired.text)"]).status == 401)

    // The gateway killed: observed as missing; a redeploy restarts it with the same signing key, so tokens survive.
    let gatewayPid = Int32(try #require(updated.outputs.int("gateway_pid")))
    kill(gatewayPid, SIGKILL)
    #expect(eventually { !ProcessLiveness.isAlive(pid: gatewayPid) })
    let request = ObserveRequest(
      computeTargetName: "laptop", computeTarget: ComputeTargetSpec(type: .local),
      services: [ObservedService(name: "coef", recordedOutputs: updated.outputs)])
    let observed = try await provider.observe(request).services["coef"]
    #expect(observed?.health == .missing && observed?.message == "the gateway of the service is not running")
    let repaired = try await provider.apply(ApplyRequest(operation: .deploy(tokened)))
    #expect(repaired.outputs.int("pid") == updated.outputs.int("pid"), "the scoring server was kept")
    #expect(repaired.outputs["key_fingerprint"] == updated.outputs["key_fingerprint"])
    #expect(try client.postJSON(port: port, body: body, headers: ["Authorization": "Bearer \(token.text)"]).status == 200)
    _ = try await provider.apply(ApplyRequest(operation: .delete(name: "coef", previous: repaired.outputs)))
    #expect(PortProbe.isFree(port: port))
  }

  @Test func aTakenPublicPortFailsBeforeAnythingStarts() async throws {
    defer { stopEverything() }
    let holder = try FakeBackend(name: "someone else")
    defer { holder.stop() }
    let deployment = try fixture.deployment(
      revision: "rev0000009", models: [fixture.model(version: 1, coefficient: 2)], settings: ["port": .int(holder.port)])
    await #expect {
      _ = try await provider.apply(ApplyRequest(operation: .deploy(deployment)))
    } throws: { error in
      (error as? TargetError)?.message.hasPrefix("port \(holder.port) is in use by another program") == true
    }
    #expect(provider.layout(of: "coef").revisionNames().isEmpty)
  }

  /// The scoring server answers on loopback and on no other address of this machine: the gateway's auth cannot be
  /// walked around from the network.
  func expectLoopbackOnly(port: Int) throws {
    #expect(try LoopbackHTTPClient(timeout: .seconds(5)).get(port: port).status == 200)
    #expect(NetworkAddresses.listeningAddresses(port: port) == ["0100007F"], "listens on 127.0.0.1 only")
    let addresses = NetworkAddresses.nonLoopbackIPv4()
    if addresses.isEmpty { print("no non-loopback IPv4 address on this machine; only the loopback half is checked") }
    for address in addresses {
      #expect(!NetworkAddresses.accepts(address: address, port: port), "the scoring server answers on \(address):\(port)")
    }
  }

  /// Stops whatever a failed test left running for the service, then removes the fixture.
  func stopEverything() {
    for found in ServiceProcessScan.scan(serviceRoot: provider.layout(of: "coef").root) {
      _ = ScoringProcess.stopBlocking(processGroup: found.processGroup, grace: .seconds(5))
    }
    fixture.remove()
  }

  /// Pids whose command line or environment mentions `path` (live, not zombies).
  static func processesMentioning(_ path: String) -> [Int32] {
    let needle = Data(path.utf8)
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
      guard pid != getpid(), ProcessLiveness.isAlive(pid: pid) else { return false }
      return ["cmdline", "environ"].contains { file in
        FileManager.default.contents(atPath: "/proc/\(pid)/\(file)")?.range(of: needle) != nil
      }
    }
  }
}
