import ArgumentParser
import BerthKit
import BerthModel
import Foundation

/// `berth services`: what is deployed, where to call it, and how it is doing.
struct ServicesCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "services", abstract: "List deployed services and show one.", subcommands: [List.self, Show.self])

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One line per service: health, revision, scoring URI.")
    @OptionGroup var manifests: ManifestOptions

    func run() async throws {
      try await UserErrors.report {
        let reports = try await Reconciler.standard().services(path: manifests.path, overlays: manifests.overlay)
        if reports.isEmpty { print("No services deployed yet. Run `berth apply`.") }
        for report in reports {
          print("\(report.name)\t\(report.health.rawValue)\t\(report.revision ?? "-")\t\(report.scoringURI ?? "-")")
        }
      }
    }
  }

  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Scoring and swagger URIs, endpoint, revision, health, models.")
    @OptionGroup var manifests: ManifestOptions
    @Argument(help: "The service's name.") var name: String

    func run() async throws {
      try await UserErrors.report {
        guard
          let report = try await Reconciler.standard().services(path: manifests.path, overlays: manifests.overlay).first(where: {
            $0.name == name
          })
        else {
          throw ValidationError("service '\(name)' is not deployed")
        }
        print("service/\(report.name)")
        print("  health:         \(report.health.rawValue) (\(report.message))")
        print("  compute target: \(report.computeTarget)")
        print("  endpoint:       \(report.endpoint ?? "- (called on its own port)")")
        print("  revision:       \(report.revision ?? "-")")
        print("  scoring URI:    \(report.scoringURI ?? "-")")
        print("  swagger URI:    \(report.swaggerURI ?? "-")")
        print("  models:         \(report.models.joined(separator: ", "))")
        if let log = report.logFile { print("  log:            \(log)") }
        if let commit = SourceCommit(outputs: report.outputs) {
          print("  commit:         \(commit.sha) \"\(commit.subject)\" by \(commit.author)")
        }
        let shown = ["scoring_uri", "swagger_uri", "revision", "log_file"] + SourceCommit.outputKeys
        for key in report.outputs.keys.sorted() where !shown.contains(key) {
          print("  \(key): \(Sensitivity.isSensitive(key) ? Sensitivity.mask : report.outputs[key]!.description)")
        }
      }
    }
  }
}

/// `berth logs`: the scoring server's log of a service.
struct LogsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print (and follow) a service's log.")
  @OptionGroup var manifests: ManifestOptions
  @Argument(help: "The service's name.") var service: String
  @Option(help: "Lines from the end to print first.") var tail = 100
  @Flag(help: "Keep printing new lines until interrupted.") var follow = false
  @Flag(
    help: "Print the model data the gateway collected for the service (collect_model_data: JSON lines) instead of its log.")
  var data = false

  func run() async throws {
    try await UserErrors.report {
      guard
        let report = try await Reconciler.standard().services(path: manifests.path, overlays: manifests.overlay).first(where: {
          $0.name == service
        })
      else {
        throw ValidationError("service '\(service)' is not deployed")
      }
      if data {
        guard case .string(let folder)? = report.outputs["gateway_folder"] else {
          throw ValidationError("service '\(service)' has no gateway on this target, so no model data is collected")
        }
        let file = folder + "/data/" + service + "/data.jsonl"
        guard FileManager.default.fileExists(atPath: file) else {
          throw ValidationError(
            "no model data collected for '\(service)' yet (\(file)); set collect_model_data: true and score it")
        }
        try LogFollower(path: file).run(tail: tail, follow: follow)
        return
      }
      if let file = report.logFile {
        try LogFollower(path: file).run(tail: tail, follow: follow)
        return
      }
      // Services in containers: their target reads the replicas' logs (each line prefixed with its pod).
      if follow {
        func text(_ key: String, _ fallback: String) -> String {
          if case .string(let value)? = report.outputs[key] { return value }
          return fallback
        }
        throw ValidationError(
          "--follow works for local services only; follow the pods of '\(service)' with "
            + "`kubectl logs -f -n \(text("namespace", "NAMESPACE")) -l app.kubernetes.io/name=\(text("instance", service))`")
      }
      let lines = try await Reconciler.standard().serviceLogs(
        path: manifests.path, overlays: manifests.overlay, service: service, tail: tail)
      FileHandle.standardOutput.write(Data(lines.map { $0 + "\n" }.joined().utf8))
    }
  }
}

/// Prints the end of a file, then what is appended to it.
struct LogFollower {
  let path: String

  func run(tail: Int, follow: Bool) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot read \(path)") }
    defer { try? handle.close() }
    let data = try handle.readToEnd() ?? Data()
    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    let shown = lines.suffix(tail + (lines.last == "" ? 1 : 0))
    FileHandle.standardOutput.write(Data(shown.joined(separator: "\n").utf8))
    guard follow else { return }
    while true {
      if let more = try handle.readToEnd(), !more.isEmpty {
        FileHandle.standardOutput.write(more)
      } else {
        Thread.sleep(forTimeInterval: 0.25)
      }
    }
  }
}
