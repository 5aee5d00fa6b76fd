import BerthProcess
import BerthPythonSpec
import Foundation
import Testing

@testable import BerthTargetLocal

/// Real builds: these install from PyPI the first time they run on a machine.
@Suite(.serialized, .timeLimit(.minutes(15))) struct PythonEnvironmentBuilderTests {
  final class Lines: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ line: String) { lock.withLock { items.append(line) } }
    var all: [String] { lock.withLock { items } }
  }

  @Test func coldBuildThenReuse() async throws {
    let cache = try Scratch.directory("berth-envcache-cold")
    defer { try? FileManager.default.removeItem(atPath: cache) }
    let interpreter = try SharedEnvironment.interpreter()
    let builder = PythonEnvironmentBuilder(cacheDirectory: cache)
    let lines = Lines()

    let cold = try await builder.build(SharedEnvironment.spec, interpreter: interpreter, onOutput: lines.append)
    print("cold build: \(cold.duration)")
    #expect(!cold.reused)
    #expect(cold.root == cache + "/" + cold.hash)
    #expect(FileManager.default.isExecutableFile(atPath: cold.serverExecutable))
    #expect(FileManager.default.isExecutableFile(atPath: cold.pythonPath))
    #expect(lines.all.contains { $0.hasPrefix("==> creating Python \(interpreter.version)") })
    let marker = try #require(EnvironmentMarker.read(root: cold.root))
    #expect(marker.hash == cold.hash)
    #expect(marker.spec == SharedEnvironment.spec)
    #expect(marker.interpreterVersion == interpreter.version)
    #expect(marker.installedPackages.contains { $0.hasPrefix("azureml-inference-server-http==") })
    // Only the finished folder, its lock and the tools remain; no staging folders.
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.contains(".tmp-") }
    #expect(leftovers.isEmpty)
    // The moved environment still runs: no script points at the staging folder.
    // (`azmlinfsrv --help` exits 1, so check the usage text instead of the status.)
    let help = try SpawnedCommandRunner().run(Command(cold.serverExecutable, ["--help"]))
    #expect(help.outputLines.first?.hasPrefix("usage: azmlinfsrv") == true)

    let warm = try await builder.build(SharedEnvironment.spec, interpreter: interpreter)
    print("warm build: \(warm.duration)")
    #expect(warm.reused)
    #expect(warm.root == cold.root)
    #expect(warm.duration < .seconds(1))
    #expect(builder.existing(SharedEnvironment.spec, interpreter: interpreter)?.root == cold.root)
  }

  @Test func concurrentBuildsOfOneHashBuildOnce() async throws {
    let cache = try Scratch.directory("berth-envcache-concurrent")
    defer { try? FileManager.default.removeItem(atPath: cache) }
    let interpreter = try SharedEnvironment.interpreter()
    let spec = PythonEnvironmentSpec(pythonVersion: nil, requirements: ["azureml-inference-server-http", "six"])
    let builder = PythonEnvironmentBuilder(cacheDirectory: cache)
    let lines = Lines()

    async let first = builder.build(spec, interpreter: interpreter, onOutput: lines.append)
    async let second = builder.build(spec, interpreter: interpreter, onOutput: lines.append)
    let results = try await [first, second]
    #expect(results.filter { !$0.reused }.count == 1)
    #expect(results[0].root == results[1].root)
    #expect(lines.all.filter { $0.hasPrefix("==> creating") }.count == 1)
    #expect(lines.all.contains { $0.hasPrefix("==> waiting for another build") })
  }

  @Test func waitsForABuildHeldByAnotherProcess() async throws {
    let environment = try await SharedEnvironment.built()
    let interpreter = try SharedEnvironment.interpreter()
    let cache = try Scratch.directory("berth-envcache-process")
    defer { try? FileManager.default.removeItem(atPath: cache) }
    let builder = PythonEnvironmentBuilder(cacheDirectory: cache)
    let hash = builder.hash(of: SharedEnvironment.spec, interpreter: interpreter)
    #expect(hash == environment.hash)
    // Another process takes the lock, "builds" for 2 s by copying a finished environment into place.
    let script = "sleep 2; cp -a '\(environment.root)' '\(cache)/\(hash)'"
    let holder = SpawnedCommandRunner()
    let started = Lines()
    let external = Task.detached {
      try holder.run(Command("/usr/bin/flock", [cache + "/\(hash).lock", "-c", script]), onLine: started.append)
    }
    try await Task.sleep(for: .milliseconds(500))
    let lines = Lines()
    let result = try await builder.build(SharedEnvironment.spec, interpreter: interpreter, onOutput: lines.append)
    #expect(try await external.value.succeeded)
    #expect(result.reused)
    #expect(result.duration > .seconds(1))
    #expect(lines.all.contains { $0.hasPrefix("==> waiting for another build") })
  }

  @Test func failedBuildReportsInstallerOutputAndLeavesNothingBehind() async throws {
    let cache = try Scratch.directory("berth-envcache-fail")
    defer { try? FileManager.default.removeItem(atPath: cache) }
    let interpreter = try SharedEnvironment.interpreter()
    let spec = PythonEnvironmentSpec(pythonVersion: nil, requirements: ["berth-no-such-package-7c1f==1.0"])
    let builder = PythonEnvironmentBuilder(cacheDirectory: cache)
    do {
      _ = try await builder.build(spec, interpreter: interpreter)
      Issue.record("expected the build to fail")
    } catch let error as LocalTargetError {
      #expect(error.kind == .environmentBuildFailed)
      #expect(error.message.hasPrefix("Installing the requirements failed with exit code"))
      #expect(error.message.contains("adjust the dependencies in the conda file"))
      #expect(!error.outputTail.isEmpty && error.outputTail.count <= 20)
      #expect(error.description.contains("berth-no-such-package-7c1f"))
      #expect(!error.isRetryable)
    }
    let hash = builder.hash(of: spec, interpreter: interpreter)
    let entries = try FileManager.default.contentsOfDirectory(atPath: cache)
    #expect(!entries.contains(hash))
    #expect(!entries.contains { $0.contains(".tmp-") })
  }

  @Test func pipFallbackBuildsARelocatedEnvironment() async throws {
    let cache = try Scratch.directory("berth-envcache-pip")
    defer { try? FileManager.default.removeItem(atPath: cache) }
    let interpreter = try SharedEnvironment.interpreter()
    let builder = PythonEnvironmentBuilder(cacheDirectory: cache, options: .init(preferUV: false))
    let built = try await builder.build(SharedEnvironment.spec, interpreter: interpreter)
    print("pip build: \(built.duration)")
    #expect(EnvironmentMarker.read(root: built.root)?.installer == "venv+pip")
    let shebang = try String(contentsOfFile: built.serverExecutable, encoding: .utf8).prefix(200)
    #expect(!shebang.contains(".tmp-"))
    let help = try SpawnedCommandRunner().run(Command(built.serverExecutable, ["--help"]))
    #expect(help.outputLines.first?.hasPrefix("usage: azmlinfsrv") == true)
  }
}

@Suite struct UVToolTests {
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")))
  func installsUVWithADebianPython() throws {
    let cache = try Scratch.directory("berth-uvtool")
    defer { try? FileManager.default.removeItem(atPath: cache) }
    let runner = SpawnedCommandRunner()
    var environment = ProcessInfo.processInfo.environment
    environment["PATH"] = "/usr/bin:/bin"
    environment["PIP_ROOT_USER_ACTION"] = "ignore"
    guard (try? runner.run(Command("/usr/bin/python3", ["-m", "pip", "--version"])))?.succeeded == true else { return }
    let tool = UVTool(cacheDirectory: cache, runner: runner, environment: environment)
    #expect(tool.find() == nil)
    let installed = try tool.install(
      using: PythonInterpreter(path: "/usr/bin/python3", version: "3"), onLine: { _ in })
    #expect(installed.path == cache + "/.tools/uv/bin/uv")
    #expect(installed.version.hasPrefix("uv "))
    #expect(tool.find()?.path == installed.path)
  }
}
