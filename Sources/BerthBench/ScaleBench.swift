import BerthKit
import BerthTesting
import Foundation

/// Every figure of issue #16 in one command: `berth-bench scale [--sizes 10000,100000]`.
///
/// 1. As a user runs it, for each size N: N registered models (`ManifestCorpus(modelsOnly:)`), applied with the `berth`
///    binary beside berth-bench; then `berth plan` with nothing changed (best of 3, peak RSS), and once more without
///    the manifest cache (every file parsed); then one model's bytes changed: `berth plan` (its actions) and
///    `berth apply` (only that one).
/// 2. A one-service change in the largest synthetic repository (services, models, environments, configs), in process
///    with a fake target: plan and apply of that one service.
/// 3. Kubernetes observation of 10,000 services on the API double, and apply of 1,000 at parallelism 32.
/// 4. The state stores (SQLite and PostgreSQL) at the largest size.
/// 5. Terraform 1.11 beside Berth at 1,000 and 10,000 resources, each Terraform apply stopped after
///    `--terraform-limit` seconds (default 900).
struct ScaleBench {
  let sizes: [Int]
  let repetitions: Int
  let repositoryRoot: String
  let terraformLimit: Double

  var berth: String {
    ProcessInfo.processInfo.environment["BERTH_BINARY"]
      ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("berth").path
  }

  func run() async throws {
    print("berth-bench scale: \(ProcessInfo.processInfo.activeProcessorCount) cores, berth at \(berth)")
    for size in sizes { try await processPlans(size) }
    let largest = sizes.max() ?? 100_000
    try await oneServiceChange(resources: largest)
    try await KubernetesBench(sizes: [10_000], repetitions: repetitions).run()
    try await KubernetesApplyBench(services: 1_000, parallelism: 32).run()
    try await StateBench(sizes: [largest], repetitions: repetitions, repositoryRoot: repositoryRoot).run()
    for size in [1_000, 10_000] { try await sideBySide(size) }
  }

  /// One run of the `berth` binary under `/usr/bin/time`: wall seconds, peak RSS in MiB, exit status, output.
  struct Run {
    var seconds: Double
    var peakMiB: Double
    var status: Int32
    var output: String
  }

  func berth(_ arguments: [String]) async throws -> Run {
    let result = try await runToEnd("/usr/bin/time", ["-f", "berth-bench-time %e %M", berth] + arguments)
    let line = result.errors.split(separator: "\n").last { $0.hasPrefix("berth-bench-time ") } ?? ""
    let fields = line.split(separator: " ")
    // `time` reports the command's own status as its exit status.
    return Run(
      seconds: fields.count > 1 ? Double(fields[1]) ?? 0 : 0, peakMiB: fields.count > 2 ? (Double(fields[2]) ?? 0) / 1024 : 0,
      status: result.status, output: result.output)
  }

  func processPlans(_ size: Int) async throws {
    let root = try ManifestCorpus(resources: size, files: max(1, size / 5), modelsOnly: true).write()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let applied = try await berth(["apply", "--dir", root, "--auto-approve", "--no-color"])
    guard applied.status == 0 else { throw BenchError("berth apply of \(size) models failed:\n\(applied.output.suffix(2000))") }
    report(
      "proc-apply", size: size, applied.seconds,
      String(format: "(berth apply: %d model registrations; peak RSS %.0f MiB)", size, applied.peakMiB))
    var runs: [Run] = []
    for _ in 0..<max(3, repetitions) {
      let run = try await berth(["plan", "--dir", root, "--detailed-exitcode", "--no-color"])
      guard run.status == 0 else { throw BenchError("berth plan after apply is not a no-op (exit \(run.status))") }
      runs.append(run)
    }
    let best = runs.min { $0.seconds < $1.seconds }!
    report(
      "proc-noop", size: size, best.seconds,
      String(
        format: "(berth plan, nothing changed: best of %d; peak RSS %.0f MiB)", runs.count,
        runs.map(\.peakMiB).max() ?? 0))
    // The same plan without the manifest cache: every file read and parsed (what the cache saves).
    try? FileManager.default.removeItem(atPath: root + "/.berth/cache/manifests.bin")
    let uncached = try await berth(["plan", "--dir", root, "--detailed-exitcode", "--no-color"])
    report(
      "proc-noop-parsed", size: size, uncached.seconds,
      String(format: "(the same plan with every manifest file parsed: no manifest cache; peak RSS %.0f MiB)", uncached.peakMiB))
    // One model's bytes change: one register action planned, one applied.
    let changed = root + "/models/model-\(size / 2).bin"
    try "model \(size / 2), retrained\n".write(toFile: changed, atomically: false, encoding: .utf8)
    let plan = try await berth(["plan", "--dir", root, "--json"])
    let actions = (try? JSONSerialization.jsonObject(with: Data(plan.output.utf8)) as? [String: Any])?["actions"] as? [Any]
    report(
      "proc-one", size: size, plan.seconds,
      "(berth plan after one model file changed: \(actions?.count ?? -1) action\(actions?.count == 1 ? "" : "s"))")
    let one = try await berth(["apply", "--dir", root, "--auto-approve", "--no-color"])
    let after = try await berth(["plan", "--dir", root, "--detailed-exitcode", "--no-color"])
    report(
      "proc-one-apply", size: size, one.seconds,
      "(berth apply of that change: exit \(one.status); the next plan: \(after.status == 0 ? "no changes" : "exit \(after.status)"))"
    )
  }

  /// The largest synthetic repository applied in process with a fake target; then one service's setting changes.
  func oneServiceChange(resources: Int) async throws {
    let corpus = ManifestCorpus(resources: resources, files: max(1, resources / 5))
    let root = try corpus.write()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let pipeline = PipelineBench(root: root)
    let clock = ContinuousClock()
    let start = clock.now
    let applied = try await pipeline.apply()
    report("svc-apply", size: resources, (clock.now - start).seconds, "(\(applied.actions) actions, fake target)")
    let file = try corpus.fileHolding(service: corpus.layout.services / 2, root: root)
    let text = try String(contentsOfFile: file, encoding: .utf8)
    // Its worker_count: 1 → 2, inside its own document only.
    var documents = text.components(separatedBy: "---\n")
    guard let index = documents.firstIndex(where: { $0.contains("name: svc-\(corpus.layout.services / 2)\n") }),
      documents[index].contains("worker_count: 1}")
    else { throw BenchError("could not find service svc-\(corpus.layout.services / 2) in \(file)") }
    documents[index] = documents[index].replacingOccurrences(of: "worker_count: 1}", with: "worker_count: 2}")
    let edited = documents.joined(separator: "---\n")
    try edited.write(toFile: file, atomically: false, encoding: .utf8)
    var planned = 0
    let plan = try await median(repetitions) { planned = try await pipeline.plan().actions.count }
    report("svc-one", size: resources, plan, "(plan after one service changed: \(planned) action\(planned == 1 ? "" : "s"))")
    let second = clock.now
    let again = try await pipeline.apply()
    report("svc-one-apply", size: resources, (clock.now - second).seconds, "(\(again.actions) action applied)")
  }

  func sideBySide(_ size: Int) async throws {
    guard TerraformBench.isAvailable else {
      print("terraform: not installed at \(TerraformBench.executable); side-by-side skipped")
      return
    }
    let terraform = try TerraformBench(resources: size, limit: terraformLimit).run()
    if let apply = terraform.apply {
      report("tf-apply", size: size, apply, "(terraform apply, terraform_data resources)")
    } else {
      report(
        "tf-apply", size: size, terraformLimit,
        "(terraform apply stopped after the limit: \(terraform.created) of \(size) created)")
    }
    if let plan = terraform.noopPlan { report("tf-noop", size: size, plan, "(terraform plan, no changes)") }
    let corpus = ManifestCorpus(resources: size, files: max(1, size / 5))
    let root = try corpus.write()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let pipeline = PipelineBench(root: root)
    let clock = ContinuousClock()
    let start = clock.now
    let applied = try await pipeline.apply()
    let berthApply = (clock.now - start).seconds
    report("apply", size: size, berthApply, "(\(applied.actions) actions, fake target, real SQLite and model store)")
    let noop = try await median(repetitions) { _ = try await pipeline.plan() }
    report("noop", size: size, noop, "(no-op plan with populated state)")
    if let apply = terraform.apply, let plan = terraform.noopPlan {
      print(
        String(
          format: "ratio     resources=%6d  apply %.1fx, no-op plan %.1fx (Terraform / Berth)", size, apply / berthApply,
          plan / noop))
    }
  }
}

extension Duration {
  var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
