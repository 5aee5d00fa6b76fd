import BerthTesting
import Foundation
import Testing

/// The CI sequence of docs/ci.md, run against a scratch git repository with the built `berth`.
@Suite struct GitOpsFlowTests {
  func git(_ arguments: [String], in directory: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    process.arguments = ["-c", "user.name=ci", "-c", "user.email=ci@example.invalid"] + arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "git \(arguments)")
  }

  @Test func pullRequestMergeAndScheduledDriftCheck() throws {
    let repo = try ScratchDirectory("gitops")
    try repo.write(".gitignore", ".berth/\n")
    try repo.write("manifests/models/churn.bin", "weights v1\n")
    try repo.write(
      "manifests/models.yaml",
      "apiVersion: berth/v1\nkind: Model\nmetadata: {name: churn}\nspec: {path: models/churn.bin, tags: {team: growth}}\n")
    try git(["init", "-q", "-b", "main"], in: repo.path)
    try git(["add", "-A"], in: repo.path)
    try git(["commit", "-q", "-m", "add churn model"], in: repo.path)

    // Pull request: validate, comment the plan, save it.
    #expect(try BerthProcess.run(["validate", "--dir", "manifests"], in: repo.path).status == 0)
    let markdown = try BerthProcess.run(["plan", "--dir", "manifests", "--markdown"], in: repo.path)
    #expect(markdown.status == 0)
    #expect(markdown.stdout.contains("<code>+ model/churn</code> register"))
    let saved = try BerthProcess.run(["plan", "--dir", "manifests", "--out", "plan.json", "--detailed-exitcode"], in: repo.path)
    #expect(saved.status == 2, "changes are planned")

    // Merge: apply exactly the saved plan.
    let apply = try BerthProcess.run(["apply", "plan.json"], in: repo.path)
    #expect(apply.status == 0, "\(apply.output)")
    #expect(try BerthProcess.run(["drift", "--dir", "manifests"], in: repo.path).status == 0)
    let stale = try BerthProcess.run(["apply", "plan.json"], in: repo.path)
    #expect(stale.status == 1)
    #expect(stale.stderr.contains("saved plan is stale"), "\(stale.output)")

    // A commit that is not applied yet shows up in the scheduled drift check, as JSON.
    try repo.write("manifests/models/churn.bin", "weights v2\n")
    try git(["commit", "-q", "-am", "retrain churn"], in: repo.path)
    let drift = try BerthProcess.run(["drift", "--dir", "manifests", "--json"], in: repo.path)
    #expect(drift.status == 2)
    let report = try JSONSerialization.jsonObject(with: Data(drift.stdout.utf8)) as! [String: Any]
    let pending = report["pending"] as! [[String: Any]]
    #expect(pending.map { $0["address"] as! String } == ["model/churn"])
    #expect((pending[0]["reason"] as! String).contains("registers version 2"))

    #expect(try BerthProcess.run(["apply", "--dir", "manifests", "--auto-approve"], in: repo.path).status == 0)
    #expect(try BerthProcess.run(["drift", "--dir", "manifests"], in: repo.path).status == 0)
    let models = try BerthProcess.run(["models", "show", "churn", "--dir", "manifests"], in: repo.path).stdout
    #expect(models.contains("churn:1") && models.contains("churn:2"))
  }
}
