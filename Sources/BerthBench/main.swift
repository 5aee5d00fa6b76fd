import BerthKit
import Foundation

/// Benchmarks of Berth's pipeline on synthetic manifest sets; prints one line per measurement.
///
/// Usage: berth-bench [validate] [plan] [apply] [noop] [register] [terraform] [--sizes 1000,10000,20000] [--repeat 5]
///        berth-bench local | image [--repeat 5]
///        berth-bench gateway [--repeat 3]   (needs wrk and the berth binary beside berth-bench)
///        berth-bench kube [--sizes 1000] [--repeat 5]
///        berth-bench kube-apply [--sizes 1000] [--parallelism 32]
///        berth-bench batch [--sizes 10000] [--repeat 3]   (the batch-diabetes example's environment, 1 and 2 workers)
///        berth-bench state [--sizes 100000] [--repeat 3]   (SQLite and PostgreSQL: write, snapshot, one record)
///        berth-bench scale [--sizes 10000,100000] [--repeat 3] [--terraform-limit 900]   (every figure of issue #16)
struct BenchOptions {
  var suites: [String] = []
  var sizes = [1000, 10000, 20000]
  var filesPerResource = 0.2
  var repetitions = 5
  /// Actions at once for `kube-apply` (berth apply's `--parallelism`).
  var parallelism = 32
  /// Seconds after which a Terraform apply is stopped (`terraform`, `scale`).
  var terraformLimit: Double = 900

  init(arguments: [String]) {
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
      switch argument {
      case "--sizes": sizes = (iterator.next() ?? "").split(separator: ",").compactMap { Int($0) }
      case "--files-per-resource": filesPerResource = Double(iterator.next() ?? "") ?? filesPerResource
      case "--repeat": repetitions = Int(iterator.next() ?? "") ?? repetitions
      case "--parallelism": parallelism = Int(iterator.next() ?? "") ?? parallelism
      case "--terraform-limit": terraformLimit = Double(iterator.next() ?? "") ?? terraformLimit
      default: suites.append(argument)
      }
    }
    if suites.isEmpty { suites = ["validate", "plan", "apply", "noop"] }
  }
}

/// The median wall time of `repetitions` runs of `body`, in seconds; `prepare` runs untimed before each.
func median(_ repetitions: Int, prepare: () throws -> Void = {}, _ body: () async throws -> Void) async rethrows -> Double {
  var times: [Double] = []
  for _ in 0..<repetitions {
    try prepare()
    let start = DispatchTime.now().uptimeNanoseconds
    try await body()
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  return times.sorted()[times.count / 2]
}

func report(_ name: String, size: Int, _ seconds: Double, _ extra: String = "") {
  print(String(format: "%-9@ resources=%6d  %8.3f s  %@", name as NSString, size, seconds, extra as NSString))
}

let options = BenchOptions(arguments: Array(CommandLine.arguments.dropFirst()))
if options.suites == ["local"] {
  let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("manifests/examples/diabetes").path
  try await LocalBench(example: example, duration: 10, threads: 4).run()
  exit(0)
}
if options.suites == ["gateway"] {
  try await GatewayBench(duration: 10, connections: 8, workers: 2, rounds: options.repetitions).run()
  exit(0)
}
if options.suites == ["batch"] {
  let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("manifests/examples/batch-diabetes").path
  try await BatchBench(
    example: example, files: options.sizes.first ?? 10000, miniBatchSize: 10, processCounts: [1, 2],
    repetitions: options.repetitions
  ).run()
  exit(0)
}
if options.suites == ["kube"] {
  print("berth-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, median of \(options.repetitions)")
  try await KubernetesBench(sizes: options.sizes, repetitions: options.repetitions).run()
  exit(0)
}
if options.suites == ["kube-apply"] {
  print("berth-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, one run per size")
  for size in options.sizes {
    try await KubernetesApplyBench(services: size, parallelism: options.parallelism).run()
  }
  exit(0)
}
if options.suites == ["state"] {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
  print("berth-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, median of \(options.repetitions)")
  try await StateBench(sizes: options.sizes, repetitions: options.repetitions, repositoryRoot: root).run()
  exit(0)
}
if options.suites == ["scale"] {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
  let sizes = CommandLine.arguments.contains("--sizes") ? options.sizes : [10_000, 100_000]
  try await ScaleBench(
    sizes: sizes, repetitions: min(options.repetitions, 3), repositoryRoot: root, terraformLimit: options.terraformLimit
  ).run()
  exit(0)
}
if options.suites == ["image"] {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
  try await ImageBench(repositoryRoot: root, repetitions: options.repetitions).run()
  exit(0)
}
print("berth-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, median of \(options.repetitions)")
for size in options.sizes {
  let files = max(1, Int(Double(size) * options.filesPerResource))
  let corpus = ManifestCorpus(resources: size, files: files)
  let root = try corpus.write()
  defer { try? FileManager.default.removeItem(atPath: root) }
  let pipeline = PipelineBench(root: root)
  if options.suites.contains("validate") {
    let seconds = try await median(options.repetitions) { _ = Validation.run(path: root) }
    report("validate", size: size, seconds, "(\(files) files)")
  }
  if options.suites.contains("plan") {
    try pipeline.reset()
    let seconds = try await median(options.repetitions) { _ = try await pipeline.plan() }
    report("plan", size: size, seconds, "(full plan from empty state)")
  }
  if options.suites.contains("apply") || options.suites.contains("noop") {
    var actions = 0
    let seconds = try await median(min(options.repetitions, 3), prepare: pipeline.reset) {
      actions = try await pipeline.apply().actions
    }
    if options.suites.contains("apply") {
      report("apply", size: size, seconds, "(\(actions) actions, fake target, real SQLite and model store)")
    }
    if options.suites.contains("noop") {
      var changes = -1
      let noop = try await median(options.repetitions) { changes = try await pipeline.plan().actions.count }
      report("noop", size: size, noop, "(no-op plan with populated state; \(changes) changes)")
    }
  }
  if options.suites.contains("phases") {
    try pipeline.reset()
    _ = try await pipeline.apply()
    for (name, seconds) in try await pipeline.phases() { report("  " + name, size: size, seconds) }
  }
  if options.suites.contains("register") {
    let modelsRoot = try ManifestCorpus(resources: size, files: max(1, size / 5), modelsOnly: true).write()
    defer { try? FileManager.default.removeItem(atPath: modelsRoot) }
    let models = PipelineBench(root: modelsRoot)
    var actions = 0
    let seconds = try await median(min(options.repetitions, 3), prepare: models.reset) {
      actions = try await models.apply().actions
    }
    report("register", size: size, seconds, "(\(actions) model registrations of small files: plan + apply)")
  }
  if options.suites.contains("terraform"), TerraformBench.isAvailable {
    let terraform = try TerraformBench(resources: size, limit: options.terraformLimit).run()
    if let apply = terraform.apply, let plan = terraform.noopPlan {
      report("tf-apply", size: size, apply, "(terraform apply, terraform_data resources)")
      report("tf-noop", size: size, plan, "(terraform plan, no changes)")
    } else {
      report("tf-apply", size: size, options.terraformLimit, "(stopped at the limit: \(terraform.created) created)")
    }
  }
}
