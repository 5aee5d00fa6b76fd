import BerthTesting
import Foundation
import Testing

/// `berth apply` from a git work tree records the commit; `plan` and `drift` say how far the state is behind HEAD.
@Suite struct SourcePositionTests {
  func git(_ arguments: [String], in directory: String) async throws -> String {
    var environment = ProcessInfo.processInfo.environment
    for (key, value) in [("GIT_AUTHOR_NAME", "Ada Tester"), ("GIT_COMMITTER_NAME", "Ada Tester")] { environment[key] = value }
    for key in ["GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"] { environment[key] = "ada@example.com" }
    environment["HOME"] = directory
    let result = try await runToEnd("git", arguments, environment: environment, directory: directory)
    #expect(result.status == 0, "git \(arguments.joined(separator: " ")): \(result.errors)")
    return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  func manifest(_ description: String) -> String {
    "apiVersion: berth/v1\nkind: Model\nmetadata: {name: m}\nspec: {path: model.bin, description: \"\(description)\"}\n"
  }

  @Test func applyRecordsTheCommitAndPlanSaysHowFarBehindHeadItIs() async throws {
    let scratch = try ScratchDirectory("source-position")
    _ = try await git(["init", "--quiet", "--initial-branch=main"], in: scratch.path)
    try scratch.write(".gitignore", ".berth/\n")
    try scratch.write("model.bin", "weights\n")
    try scratch.write("berth.yaml", manifest("first"))
    _ = try await git(["add", "--all"], in: scratch.path)
    _ = try await git(["commit", "--quiet", "-m", "First model"], in: scratch.path)
    let first = try await git(["rev-parse", "HEAD"], in: scratch.path)

    let apply = try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path)
    #expect(apply.status == 0, "\(apply.output)")
    #expect(try BerthProcess.run(["state", "history"], in: scratch.path).stdout.contains("(commit \(first.prefix(12)))"))
    let atHead = try BerthProcess.run(["plan"], in: scratch.path)
    #expect(
      atHead.stdout.contains("applied from commit \(first.prefix(12)) (\"First model\"), which is HEAD."), "\(atHead.output)")

    // Two new commits, not applied: plan and drift say how far behind the state is.
    for text in ["second", "third"] {
      try scratch.write("berth.yaml", manifest(text))
      _ = try await git(["commit", "--quiet", "-am", "Describe it: \(text)"], in: scratch.path)
    }
    let head = try await git(["rev-parse", "HEAD"], in: scratch.path)
    let behind = "applied from commit \(first.prefix(12)) (\"First model\"): 2 commits behind HEAD (\(head.prefix(12)))."
    #expect(try BerthProcess.run(["plan"], in: scratch.path).stdout.contains(behind))
    let drift = try BerthProcess.run(["drift"], in: scratch.path)
    #expect(drift.status == 2 && drift.stdout.contains(behind), "\(drift.output)")
    #expect(
      !(try BerthProcess.run(["plan", "--json"], in: scratch.path).stdout.contains("behind HEAD")), "JSON stays as documented")

    // An uncommitted change: the apply is recorded without a commit (its manifests are no commit's).
    try scratch.write("berth.yaml", manifest("uncommitted"))
    #expect(try BerthProcess.run(["apply", "--auto-approve"], in: scratch.path).status == 0)
    let history = try BerthProcess.run(["state", "history"], in: scratch.path).stdout
    let newest = try #require(history.components(separatedBy: "\n#1 ").first)
    #expect(newest.hasPrefix("#2 apply") && !newest.contains("(commit "), "\(history)")
    #expect(history.contains("(commit \(first.prefix(12)))"), "the first apply keeps its commit")
  }
}
