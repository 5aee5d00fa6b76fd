import ArgumentParser
import BerthKit
import BerthModel

/// `berth endpoints`: the declared endpoints, their traffic split and deployments, and what apply recorded.
struct EndpointsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "endpoints", abstract: "List and show endpoints; get or regenerate their credentials; invoke them.",
    subcommands: [List.self, Show.self, GetCredentials.self, RegenerateKeys.self, Invoke.self])

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "One line per endpoint: compute target, auth mode, traffic, whether applied, scoring URI.")
    @OptionGroup var manifests: ManifestOptions

    func run() async throws {
      try await UserErrors.report {
        let reports = try await Reconciler.standard().endpoints(path: manifests.path, overlays: manifests.overlay)
        if reports.isEmpty { print("No endpoints declared or recorded.") }
        for report in reports {
          let target = report.declared?.computeTarget ?? "?"
          let auth = report.declared?.authMode.rawValue ?? "?"
          let traffic = report.declared.map { EndpointReport.shares($0.traffic) } ?? "-"
          print("\(report.name)\t\(target)\t\(auth)\t\(traffic)\t\(Self.status(report))\t\(report.scoringURI ?? "-")")
        }
      }
    }

    static func status(_ report: EndpointReport) -> String {
      switch (report.declared, report.recorded) {
      case (_?, nil): "not applied"
      case (nil, _?): "recorded, no longer declared"
      default: "applied"
      }
    }
  }

  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "What the manifests declare for an endpoint and what the last apply recorded.")
    @OptionGroup var manifests: ManifestOptions
    @Argument(help: "The endpoint's name.") var name: String

    func run() async throws {
      try await UserErrors.report {
        let reports = try await Reconciler.standard().endpoints(path: manifests.path, overlays: manifests.overlay)
        guard let report = reports.first(where: { $0.name == name }) else {
          let guess = Suggestion.didYouMean(name, in: reports.map(\.name)).map { " (\($0))" } ?? ""
          throw ValidationError("endpoint '\(name)' is neither declared nor recorded\(guess)")
        }
        print("endpoint/\(report.name)")
        if let declared = report.declared {
          let type = declared.computeType.map { " (\($0.rawValue))" } ?? ""
          print("  compute target: \(declared.computeTarget)\(type)")
          print("  auth mode:      \(declared.authMode.rawValue)")
          print("  traffic:        \(EndpointReport.shares(declared.traffic))")
          print("  mirror traffic: \(EndpointReport.shares(declared.mirrorTraffic))")
          if let listen = declared.listen { print("  listens on:     \(listen)") }
          print("  deployments:    \(declared.deployments.isEmpty ? "-" : declared.deployments.joined(separator: ", "))")
        } else {
          print("  declared:       no (removed from the manifests; the next apply deletes it)")
        }
        if let recorded = report.recorded {
          print("  recorded traffic: \(EndpointReport.shares(EndpointReport.recordedShares(recorded, prefix: "traffic")))")
        } else {
          print("  recorded:       no (never applied)")
        }
        print("  scoring URI:    \(report.scoringURI ?? "-")")
      }
    }
  }
}
