import BerthTargetLocal
import BerthTesting
import Foundation
import Testing

/// The real `berth watch --git` process against a real git remote: applies a commit, refuses a bad one after a
/// GitLab-style webhook, notifies a receiver, guards its page with a token, and keeps every secret out of argv and logs.
@Suite(.serialized) struct ControllerCommandTests {
  func git(_ arguments: [String], in directory: String, home: String) async throws {
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_AUTHOR_NAME"] = "Ada Tester"
    environment["GIT_AUTHOR_EMAIL"] = "ada@example.com"
    environment["GIT_COMMITTER_NAME"] = "Ada Tester"
    environment["GIT_COMMITTER_EMAIL"] = "ada@example.com"
    environment["HOME"] = home
    let result = try await runToEnd("git", arguments, environment: environment, directory: directory)
    #expect(result.status == 0, "git \(arguments.joined(separator: " ")): \(result.errors)")
  }

  func commit(_ subject: String, manifest: String, scratch: ScratchDirectory) async throws -> String {
    let clone = scratch.path + "/clone"
    try scratch.write("clone/m/berth.yaml", manifest)
    try await git(["add", "--all"], in: clone, home: scratch.path)
    try await git(["commit", "--quiet", "-m", subject], in: clone, home: scratch.path)
    try await git(["push", "--quiet", "origin", "main"], in: clone, home: scratch.path)
    let head = try await runToEnd("git", ["rev-parse", "HEAD"], directory: clone)
    return head.output.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  @Test func watchGitAppliesRefusesNotifiesAndKeepsSecretsOut() async throws {
    let scratch = try ScratchDirectory("controller-e2e")
    try await git(["init", "--bare", "--quiet", "--initial-branch=main", "remote.git"], in: scratch.path, home: scratch.path)
    try await git(["clone", "--quiet", "remote.git", "clone"], in: scratch.path, home: scratch.path)
    try await git(["checkout", "--quiet", "-b", "main"], in: scratch.path + "/clone", home: scratch.path)
    try scratch.write("clone/m/model.bin", "weights\n")
    let good = try await commit(
      "Add model m", manifest: "apiVersion: berth/v1\nkind: Model\nmetadata: {name: m}\nspec: {path: model.bin}\n",
      scratch: scratch)

    let receiver = try await StaticUpstream(name: "hooks")
    let port = try #require(PortProbe.findFreePort())
    let hookSecret = "hook-\(UUID().uuidString)"
    let pageToken = "page-\(UUID().uuidString)"
    let work = scratch.path + "/ctl"
    let watch = try BerthProcess.start(
      [
        "watch", "--git", scratch.path + "/remote.git", "--path", "m", "--work-dir", work, "--interval", "1h", "--self-heal",
        "--listen", "127.0.0.1:\(port)", "--webhook-secret-env", "HOOK_SECRET", "--page-token-env", "PAGE_TOKEN",
        "--notify", "env:NOTIFY_URL",
      ], in: scratch.path,
      environment: [
        "HOOK_SECRET": hookSecret, "PAGE_TOKEN": pageToken, "NOTIFY_URL": "http://\(receiver.address)/secret-hook-path",
      ])
    let stderr = PipeDrain((watch.standardError as! Pipe).fileHandleForReading)
    _ = PipeDrain((watch.standardOutput as! Pipe).fileHandleForReading)
    defer { if watch.isRunning { watch.terminate() } }
    let arguments = (try? String(contentsOfFile: "/proc/\(watch.processIdentifier)/cmdline", encoding: .utf8)) ?? ""
    #expect(!arguments.contains(hookSecret) && !arguments.contains(pageToken) && !arguments.contains("secret-hook-path"))

    let client = LoopbackHTTPClient(timeout: .seconds(5))
    let authorized = ["Authorization": "Bearer \(pageToken)"]
    func page() -> String { (try? client.send("GET", port: port, path: "/", headers: authorized).text) ?? "" }
    func waitFor(_ what: String, _ condition: () -> Bool) async throws {
      let deadline = Date() + 30
      while Date() < deadline, watch.isRunning, !condition() { try await Task.sleep(for: .milliseconds(100)) }
      #expect(condition(), "\(what) within 30 s")
    }

    // The first commit is applied, and the state says from which commit.
    try await waitFor("the first commit applied") { page().contains("succeeded (1 ok)") }
    let history = try BerthProcess.run(["state", "history"], in: work)
    #expect(history.stdout.contains("(commit \(good.prefix(12)))"), "\(history.output)")
    #expect(try client.get(port: port, path: "/").status == 401)
    try await waitFor("the apply notified") { receiver.served >= 1 }

    // A broken commit, announced by a GitLab-style webhook, is refused; the page and a notification say so.
    let bad = try await commit(
      "Point m at a missing file", manifest: "apiVersion: berth/v1\nkind: Model\nmetadata: {name: m}\nspec: {path: gone.bin}\n",
      scratch: scratch)
    #expect(
      try client.send("POST", port: port, path: "/hooks/git", headers: ["X-Gitlab-Token": "wrong"], body: Data()).status == 401)
    let hook = try client.send(
      "POST", port: port, path: "/hooks/git", headers: ["X-Gitlab-Token": hookSecret], body: Data("{}".utf8))
    #expect(hook.status == 202)
    try await waitFor("the bad commit refused") { page().contains("commit \(bad.prefix(12)) refused") }
    #expect(page().contains(String(good.prefix(12))))
    try await waitFor("the refusal notified") { receiver.served >= 2 }
    #expect(try BerthProcess.run(["models", "list"], in: work).stdout.contains("m\tv1"))

    kill(watch.processIdentifier, SIGTERM)
    watch.waitUntilExit()
    #expect(watch.terminationStatus == 0)
    let log = stderr.text()
    #expect(log.contains("\"event\":\"commit_refused\""))
    #expect(log.contains("\"event\":\"webhook_received\""))
    for secret in [hookSecret, pageToken, "secret-hook-path"] { #expect(!log.contains(secret)) }
    await receiver.stop()
  }

  /// The controller with the real local target: the diabetes example pushed to a git remote is served by a real
  /// scoring server; a broken commit is refused while that server keeps answering; the fix is applied.
  ///
  /// Slow (about 30 s with a warm environment cache): a real azmlinfsrv starts behind the gateway.
  @Test func watchGitServesARealModelThroughARefusedCommit() async throws {
    let scratch = try ScratchDirectory("controller-real")
    try await git(["init", "--bare", "--quiet", "--initial-branch=main", "remote.git"], in: scratch.path, home: scratch.path)
    try await git(["clone", "--quiet", "remote.git", "clone"], in: scratch.path, home: scratch.path)
    try await git(["checkout", "--quiet", "-b", "main"], in: scratch.path + "/clone", home: scratch.path)
    let source = RepositoryPaths.examples.appendingPathComponent("diabetes").path
    try FileManager.default.createDirectory(atPath: scratch.path + "/clone/m", withIntermediateDirectories: true)
    for item in try FileManager.default.contentsOfDirectory(atPath: source) where item != ".berth" {
      try FileManager.default.copyItem(atPath: source + "/" + item, toPath: scratch.path + "/clone/m/" + item)
    }
    let servicePort = try #require(PortProbe.findFreePort(in: 20000...29999))
    let manifest = try String(contentsOfFile: scratch.path + "/clone/m/berth.yaml", encoding: .utf8)
      .replacingOccurrences(of: "port: 8890", with: "port: \(servicePort)")
    try scratch.write(
      "clone/m/workspace.yaml",
      "apiVersion: berth/v1\nkind: Workspace\nmetadata: {name: test}\nspec: {environment_cache: \(LocalServiceTests.environmentCache)}\n"
    )
    _ = try await commit("The diabetes model", manifest: manifest, scratch: scratch)

    let port = try #require(PortProbe.findFreePort())
    let work = scratch.path + "/ctl"
    let watch = try BerthProcess.start(
      [
        "watch", "--git", scratch.path + "/remote.git", "--path", "m", "--work-dir", work, "--interval", "1h",
        "--self-heal", "--listen", "127.0.0.1:\(port)", "--webhook-secret-env", "HOOK_SECRET",
      ], in: scratch.path, environment: ["HOOK_SECRET": "s3cret"])
    _ = PipeDrain((watch.standardError as! Pipe).fileHandleForReading)
    _ = PipeDrain((watch.standardOutput as! Pipe).fileHandleForReading)
    defer { if watch.isRunning { watch.terminate() } }
    let client = LoopbackHTTPClient(timeout: .seconds(10))
    func score() -> Int? { (try? client.postJSON(port: servicePort, body: LocalServiceTests.sample))?.status }
    func page() -> String { (try? client.get(port: port, path: "/").text) ?? "" }
    func waitFor(_ what: String, seconds: Double = 120, _ condition: () -> Bool) async throws {
      let deadline = Date() + seconds
      while Date() < deadline, watch.isRunning, !condition() { try await Task.sleep(for: .milliseconds(200)) }
      #expect(condition(), "\(what) within \(Int(seconds)) s")
    }
    try await waitFor("the pushed model served") { score() == 200 }

    // A commit naming a model file that does not exist: refused, and the running server keeps answering.
    let broken = try await commit(
      "Point at a missing model", manifest: manifest.replacingOccurrences(of: "model/diabetes-ridge.pkl", with: "model/gone.pkl"),
      scratch: scratch)
    #expect(
      try client.send(
        "POST", port: port, path: "/hooks/git", headers: ["X-Gitlab-Token": "s3cret"], body: Data("{}".utf8)
      ).status == 202)
    try await waitFor("the broken commit refused", seconds: 30) { page().contains("commit \(broken.prefix(12)) refused") }
    #expect(score() == 200, "the previous commit's server still answers")

    // The fix (a new worker count, so a new revision) is applied and served.
    let fixed = try await commit(
      "Two workers", manifest: manifest.replacingOccurrences(of: "worker_count: 1", with: "worker_count: 2"), scratch: scratch)
    #expect(
      try client.send(
        "POST", port: port, path: "/hooks/git", headers: ["X-Gitlab-Token": "s3cret"], body: Data("{}".utf8)
      ).status == 202)
    try await waitFor("the fix applied") {
      (try? BerthProcess.run(["services", "show", "diabetes-local"], in: work).stdout)?.contains(String(fixed.prefix(12))) == true
    }
    #expect(score() == 200)
    kill(watch.processIdentifier, SIGTERM)
    watch.waitUntilExit()
    // Tear down from the work folder, which holds the state: with the manifests of the applied commit beside it.
    for item in try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/clone/m") {
      try FileManager.default.copyItem(atPath: scratch.path + "/clone/m/" + item, toPath: work + "/" + item)
    }
    let destroy = try BerthProcess.run(["destroy", "--auto-approve"], in: work)
    #expect(destroy.status == 0, "\(destroy.output.suffix(1500))")
    #expect(PortProbe.isFree(port: servicePort))
  }

  @Test func secretsInArgumentsOrMissingVariablesAreUsageErrors() throws {
    let scratch = try ScratchDirectory("controller-usage")
    let withToken = try BerthProcess.run(
      ["watch", "--git", "https://bot:ghp_0123456789@example.com/models.git", "--interval", "1m"], in: scratch.path)
    #expect(withToken.status == 64)
    #expect(withToken.stderr.contains("--https-token-env"))
    #expect(!withToken.output.contains("ghp_0123456789"))
    let unset = try BerthProcess.run(
      ["watch", "--git", "https://example.com/models.git", "--https-token-env", "NO_SUCH_TOKEN_VARIABLE", "--interval", "1m"],
      in: scratch.path)
    #expect(unset.status == 64)
    #expect(unset.stderr.contains("'NO_SUCH_TOKEN_VARIABLE' is not set"))
    let both = try BerthProcess.run(
      ["watch", "--git", "https://example.com/m.git", "--dir", ".", "--interval", "1m"], in: scratch.path)
    #expect(both.status == 64)
    let notify = try BerthProcess.run(
      ["watch", "--notify", "ftp://hooks.example.com/T0/secret", "--interval", "1m"], in: scratch.path)
    #expect(notify.status == 64)
    #expect(!notify.output.contains("secret"))
  }
}
