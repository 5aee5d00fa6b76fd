import BerthKit
import Foundation

/// Benchmarks of Berth's pipeline on synthetic manifest sets; prints one line per measurement.
///
/// Usage: berth-bench [validate] [--sizes 1000,10000,20000] [--files-per-resource 0.2] [--repeat 5]
struct BenchOptions {
  var suites: [String] = []
  var sizes = [1000, 10000, 20000]
  var filesPerResource = 0.2
  var repetitions = 5

  init(arguments: [String]) {
    var iterator = arguments.makeIterator()
    while let argument = iterator.next() {
      switch argument {
      case "--sizes": sizes = (iterator.next() ?? "").split(separator: ",").compactMap { Int($0) }
      case "--files-per-resource": filesPerResource = Double(iterator.next() ?? "") ?? filesPerResource
      case "--repeat": repetitions = Int(iterator.next() ?? "") ?? repetitions
      default: suites.append(argument)
      }
    }
    if suites.isEmpty { suites = ["validate"] }
  }
}

/// Runs `body` `repetitions` times and returns the median wall time in seconds.
func median(_ repetitions: Int, _ body: () throws -> Void) rethrows -> Double {
  var times: [Double] = []
  for _ in 0..<repetitions {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  return times.sorted()[times.count / 2]
}

let options = BenchOptions(arguments: Array(CommandLine.arguments.dropFirst()))
print(
  "berth-bench: \(ProcessInfo.processInfo.activeProcessorCount) cores, sizes \(options.sizes), median of \(options.repetitions)")
for size in options.sizes {
  let files = max(1, Int(Double(size) * options.filesPerResource))
  let root = try ManifestCorpus(resources: size, files: files).write()
  defer { try? FileManager.default.removeItem(atPath: root) }
  if options.suites.contains("validate") {
    var resources = 0
    let seconds = try median(options.repetitions) {
      let validation = Validation.run(path: root)
      guard validation.isValid else {
        throw NSError(domain: "bench", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(validation.diagnostics.prefix(3))"])
      }
      resources = validation.manifests.resources.count
    }
    print(
      String(
        format: "validate  resources=%6d files=%5d  %.3f s  (%.1f µs/resource)", resources, files, seconds,
        seconds * 1e6 / Double(resources)))
  }
}
