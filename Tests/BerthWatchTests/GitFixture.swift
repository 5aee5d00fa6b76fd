import BerthProcess
import BerthTesting
import Foundation

/// A real git remote (a bare repository) and a clone to commit and push from, made in a scratch folder.
struct GitFixture {
  let folder: ScratchDirectory
  var remote: String { folder.path + "/remote.git" }
  var clone: String { folder.path + "/clone" }
  /// The controller's work folder (its git cache, checkouts and `.berth/`).
  var workDirectory: String { folder.path + "/controller" }

  init() throws {
    folder = try ScratchDirectory("git-controller")
    try git(["init", "--bare", "--quiet", "--initial-branch=main", remote], in: folder.path)
    try git(["clone", "--quiet", remote, clone], in: folder.path)
    try git(["checkout", "--quiet", "-b", "main"], in: clone)
  }

  /// Writes `files` (relative to the clone), commits them as `subject` (SSH-signed with the private key file
  /// `signingKey`, if given) and pushes; returns the commit's sha.
  @discardableResult
  func commit(_ subject: String, _ files: [String: String], signingKey: String? = nil) throws -> String {
    for (path, text) in files {
      let url = URL(fileURLWithPath: clone + "/" + path)
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(text.utf8).write(to: url)
    }
    try git(["add", "--all"], in: clone)
    let signing = signingKey.map { ["-c", "gpg.format=ssh", "-c", "user.signingkey=\($0)"] } ?? []
    try git(signing + ["commit", "--quiet"] + (signingKey == nil ? [] : ["-S"]) + ["-m", subject], in: clone)
    try git(["push", "--quiet", "origin", "main"], in: clone)
    return try head()
  }

  /// Reverts the last commit and pushes; returns the new commit's sha.
  @discardableResult
  func revertLast() throws -> String {
    try git(["revert", "--no-edit", "HEAD"], in: clone)
    try git(["push", "--quiet", "origin", "main"], in: clone)
    return try head()
  }

  /// Tags the clone's head as `name` (annotated, as release tooling does) and pushes the tag.
  func tag(_ name: String) throws {
    try git(["tag", "-a", "-m", "release \(name)", name], in: clone)
    try git(["push", "--quiet", "origin", name], in: clone)
  }

  /// A new ed25519 key pair; returns the private key's path (the public key is beside it, `.pub`).
  func sshKey(_ name: String) throws -> String {
    let path = folder.path + "/" + name
    let result = try CapturedRun.run(Command("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path]))
    guard result.status == 0 else { throw GitFixtureError(description: "ssh-keygen: \(result.errorText)") }
    return path
  }

  func head() throws -> String {
    try git(["rev-parse", "HEAD"], in: clone).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  @discardableResult
  func git(_ arguments: [String], in directory: String) throws -> String {
    var environment = ProcessInfo.processInfo.environment
    environment["GIT_AUTHOR_NAME"] = "Ada Tester"
    environment["GIT_AUTHOR_EMAIL"] = "ada@example.com"
    environment["GIT_COMMITTER_NAME"] = "Ada Tester"
    environment["GIT_COMMITTER_EMAIL"] = "ada@example.com"
    environment["GIT_CONFIG_NOSYSTEM"] = "1"
    environment["HOME"] = folder.path
    let result = try CapturedRun.run(
      Command("git", arguments, environment: environment, workingDirectory: directory, timeout: .seconds(60)))
    guard result.status == 0 else {
      throw GitFixtureError(description: "git \(arguments.joined(separator: " ")): \(result.errorText)")
    }
    return result.outputText
  }

  /// The manifests of `WatchWorkspace` (one local service `web`), with `model` as the model file's text.
  static func manifests(model: String = "weights v1\n", computeTarget: String = "local") -> [String: String] {
    [
      "manifests/model.pkl": model,
      "manifests/conda.yaml": "name: sk\ndependencies:\n  - python=3.11\n",
      "manifests/src/score.py": "def init():\n    pass\n\ndef run(data):\n    return data\n",
      "manifests/berth.yaml": """
      apiVersion: berth/v1
      kind: Model
      metadata: {name: ridge}
      spec: {path: model.pkl}
      ---
      apiVersion: berth/v1
      kind: Environment
      metadata: {name: sk-env}
      spec: {conda_file: conda.yaml}
      ---
      apiVersion: berth/v1
      kind: InferenceConfig
      metadata: {name: scoring}
      spec: {source_directory: src, entry_script: score.py, environment: sk-env}
      ---
      apiVersion: berth/v1
      kind: ComputeTarget
      metadata: {name: local}
      spec: {type: local}
      ---
      apiVersion: berth/v1
      kind: Service
      metadata: {name: web}
      spec:
        compute_target: \(computeTarget)
        models: [ridge]
        inference_config: scoring
        deployment: {port: 18891, worker_count: 1}

      """,
    ]
  }
}

struct GitFixtureError: Error, CustomStringConvertible {
  var description: String
}
