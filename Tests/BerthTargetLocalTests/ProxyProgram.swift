import BerthProcess
import Crypto
import Foundation

@testable import BerthTargetLocal

/// The command that runs a port proxy in tests: `berth __proxy` when the built `berth` has it.
///
/// `berth` is looked up beside the test binary (`swift build --build-tests`
/// puts both in `.build/<config>/`). When it is missing or predates
/// `__proxy`, the proxy sources are compiled with `swiftc` into a small
/// stand-alone program, cached under the temp directory by content hash.
/// `nil` only when neither works.
enum ProxyProgram {
  static let command: [String]? = berthCommand() ?? standaloneCommand()

  /// Why `command` is what it is, for test output.
  static var origin: String {
    guard let command else { return "none" }
    return command.count > 1 ? "berth __proxy (\(command[0]))" : "stand-alone build (\(command[0]))"
  }

  private static let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
  }()

  private static func berthCommand() -> [String]? {
    let candidate = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("berth")
      .path
    guard FileManager.default.isExecutableFile(atPath: candidate),
      let help = try? SpawnedCommandRunner().run(Command(candidate, ["__proxy", "--help"], timeout: .seconds(20))),
      help.outputLines.contains(where: { $0.contains("--route-file") })
    else { return nil }
    return [candidate, "__proxy"]
  }

  private static func standaloneCommand() -> [String]? {
    let sourceRoot = repositoryRoot + "/Sources/BerthTargetLocal/"
    let proxyFiles = ((try? FileManager.default.contentsOfDirectory(atPath: sourceRoot + "Proxy")) ?? [])
      .filter { $0.hasSuffix(".swift") }.sorted().map { sourceRoot + "Proxy/" + $0 }
    let sources =
      proxyFiles
      + ["Network/SocketAddress.swift", "Files/AtomicFile.swift", "Process/Duration+Seconds.swift"].map {
        sourceRoot + $0
      }
    guard !proxyFiles.isEmpty,
      let swiftc = ExecutableSearch.resolve("swiftc", searchPath: ProcessInfo.processInfo.environment["PATH"])
    else { return nil }
    let main = """
      import Foundation
      do {
        try ServiceProxy.runUntilTerminated(ServiceProxyConfiguration(arguments: Array(CommandLine.arguments.dropFirst())))
      } catch {
        FileHandle.standardError.write(Data("proxy: \\(error)\\n".utf8))
        exit(1)
      }
      """
    var hasher = SHA256()
    for source in sources {
      guard let data = FileManager.default.contents(atPath: source) else { return nil }
      hasher.update(data: data)
    }
    hasher.update(data: Data(main.utf8))
    let digest = hasher.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
    let folder = NSTemporaryDirectory() + "berth-test-proxy-" + digest
    let program = folder + "/berth-proxy"
    if FileManager.default.isExecutableFile(atPath: program) { return [program] }
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    try? main.write(toFile: folder + "/main.swift", atomically: true, encoding: .utf8)
    let staging = program + ".tmp-\(getpid())"
    guard
      let result = try? SpawnedCommandRunner().run(
        Command(
          swiftc, ["-module-name", "BerthProxy", "-o", staging] + sources + [folder + "/main.swift"], timeout: .seconds(300))),
      result.succeeded, rename(staging, program) == 0
    else { return nil }
    return [program]
  }
}
