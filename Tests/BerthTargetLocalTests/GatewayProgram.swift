import BerthProcess
import Foundation

/// The command that runs a gateway in tests: the `berth` built beside the test binary (`swift build
/// --build-tests` puts both in `.build/<config>/`), when it has `gateway serve`.
enum GatewayProgram {
  static let command: [String]? = {
    let candidate = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("berth")
      .path
    guard FileManager.default.isExecutableFile(atPath: candidate),
      let help = try? SpawnedCommandRunner().run(Command(candidate, ["gateway", "serve", "--help"], timeout: .seconds(20))),
      help.outputLines.contains(where: { $0.contains("--config") })
    else { return nil }
    return [candidate, "gateway", "serve"]
  }()

  static var isAvailable: Bool { command != nil }
  static let missing = "needs the built 'berth' (with `gateway serve`) beside the test binary: swift build --build-tests"
}
