import ArgumentParser
import BerthKit
import BerthTargetBatch
import Foundation

/// `berth jobs`: the runs of batch services on this machine.
struct JobsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "jobs", abstract: "List batch jobs' runs, show one job, print its workers' logs.",
    subcommands: [List.self, Show.self, Logs.self])

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One line per run: job, revision, status, counts, duration.")
    @OptionGroup var manifests: ManifestOptions

    func run() async throws {
      let catalog = try JobsCommand.catalog(manifests)
      let rows = catalog.instances().flatMap { instance in catalog.runs(of: instance).map { JobsCommand.line($0) } }
      if rows.isEmpty { print("No batch runs yet. Apply a service on a batch compute target.") }
      for row in rows { print(row) }
    }
  }

  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every run of a job, with its failed items and their errors.")
    @OptionGroup var manifests: ManifestOptions
    @Argument(help: "The batch service's name.") var name: String

    func run() async throws {
      let catalog = try JobsCommand.catalog(manifests)
      let runs = catalog.runs(of: name)
      guard !runs.isEmpty else { throw ValidationError("job '\(name)' has no runs on this machine") }
      print("job/\(name)")
      for run in runs {
        print("  run \(run.revision): \(run.status.rawValue)")
        print("    items:      \(run.items) (\(run.succeeded) succeeded, \(run.failed) failed, \(run.reused) reused)")
        print("    inputs:     \(run.inputDigest)")
        print("    processes:  \(run.processes), mini-batches: \(run.miniBatches), resumes: \(run.resumes)")
        print("    started:    \(ISO8601DateFormatter().string(from: run.startedAt))")
        print("    duration:   \(String(format: "%.1f", run.seconds)) s")
        if let output = run.outputFile { print("    output:     \(output)") }
        if let summary = run.summaryFile { print("    summary:    \(summary)") }
        if let message = run.message { print("    error:      \(message)") }
        let failures = catalog.failures(of: name, revision: run.revision)
        if !failures.isEmpty {
          print("    failed items:")
          for failure in failures {
            print("      \(failure.file ?? "(unknown item)"): \(failure.error.split(separator: "\n").last ?? "")")
          }
        }
      }
    }
  }

  struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The worker logs of a job's latest run (or of --revision).")
    @OptionGroup var manifests: ManifestOptions
    @Argument(help: "The batch service's name.") var name: String
    @Option(help: "The run's revision (default: the latest run).") var revision: String?
    @Option(help: "Lines from the end of each worker's log.") var tail = 100

    func run() async throws {
      let catalog = try JobsCommand.catalog(manifests)
      guard let run = revision ?? catalog.runs(of: name).last?.revision else {
        throw ValidationError("job '\(name)' has no runs on this machine")
      }
      let lines = catalog.logs(of: name, revision: run, tail: tail)
      FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8))
    }
  }

  static func catalog(_ manifests: ManifestOptions) throws -> JobCatalog {
    let (workspace, _, _) = try WorkspaceAccess.open(manifests, access: .read)
    return JobCatalog(runtimeDirectory: workspace.runtimeDirectory)
  }

  /// `diabetes-batch  3f9a0c1d2e4b  completed  40/40 succeeded  0 failed  2.1 s`.
  static func line(_ run: RunRecord) -> String {
    [
      run.service, run.revision, run.status.rawValue, "\(run.succeeded)/\(run.items) succeeded", "\(run.failed) failed",
      String(format: "%.1f s", run.seconds),
    ].joined(separator: "\t")
  }
}
