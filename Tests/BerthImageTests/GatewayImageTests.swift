import BerthTesting
import Foundation
import Testing

@testable import BerthImage

/// The gateway image: built daemonlessly from the `berth` binary of this build on the test base image, pushed to
/// a real registry, reproducible, read by skopeo, unpacked by umoci; its own entrypoint, run under
/// unshare + chroot, serves an endpoint: 401 without the key, the upstream's answer with it.
@Suite(.serialized, .enabled(if: ImageTests.toolsAvailable, ImageTests.unavailable))
struct GatewayImageTests {
  /// `berth` beside the test bundle (`swift build --build-tests` builds both into the same folder).
  static func berthBinary() throws -> String {
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("berth").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      directory.deleteLastPathComponent()
    }
    throw ImageBuildError("no berth executable beside the test bundle; run `swift build --build-tests`")
  }

  @Test func gatewayImageIsReproducibleAndItsEntrypointServesAnEndpoint() async throws {
    let registry = try await TestRegistry.anonymous()
    let base = try await registry.pushBaseImage()
    let cache = try ImageTests.scratch("gateway-cache")
    let builder = GatewayImageBuilder(cacheDirectory: cache)
    let request = GatewayImageBuilder.Request(
      binary: try Self.berthBinary(), baseImage: base, registry: registry.reference)
    let lines = ProgressLines()
    let image = try await builder.build(request, progress: { lines.add($0) })
    #expect(image.reference.hasPrefix("\(registry.address)/berth/gateway@sha256:"))
    #expect(lines.all.contains { $0.hasPrefix("gateway layer built: berth + ") })

    // Same binary, same base: same digest, and the layer comes from the cache.
    let again = ProgressLines()
    let second = try await builder.build(request, progress: { again.add($0) })
    #expect(second.digest == image.digest)
    #expect(again.all.contains { $0.hasPrefix("gateway layer reused") })

    // skopeo reads the config: berth is the entrypoint, the gateway command the default.
    let configText = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--config"] + registry.skopeoOptions() + ["docker://\(image.reference)"])
    let config = try #require(try JSONDecoder().decode(ImageConfig.self, from: Data(configText.utf8)).config)
    #expect(config.entrypoint == [GatewayImageBuilder.binaryPath])
    #expect(config.cmd == GatewayImageBuilder.defaultCommand)

    // Unpacked by umoci, with a route table and keys where the Kubernetes objects mount them.
    let rootfs = try await Unpacked.rootfs(of: image.reference, registry: registry)
    let upstream = try await StaticUpstream(name: "blue")
    defer { Task { await upstream.stop() } }
    let port = try await ImageTests.tool(
      "/usr/bin/python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]
    ).trimmingCharacters(in: .whitespacesAndNewlines)
    let folder = rootfs + "/etc/berth-gateway"
    try FileManager.default.createDirectory(atPath: folder + "/routes", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: folder + "/keys", withIntermediateDirectories: true)
    let key = "k" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
    try #"{"primary_key": "\#(key)", "secondary_key": "other-\#(key)"}"#.write(
      toFile: folder + "/keys/keys.json", atomically: true, encoding: .utf8)
    chmod(folder + "/keys/keys.json", 0o400)
    try """
    {"endpoint": "risk", "listen_address": "127.0.0.1", "port": \(port), "auth_mode": "key",
     "keys_file": "/etc/berth-gateway/keys/keys.json",
     "deployments": [{"name": "blue", "upstreams": ["\(upstream.address)"]}], "traffic": {"blue": 100}}
    """.write(toFile: folder + "/routes/gateway.json", atomically: true, encoding: .utf8)

    let launcher = rootfs + "/../launch.sh"
    try """
    #!/bin/sh
    set -e
    mount -t proc proc "$1/proc"
    mount --rbind /dev "$1/dev"
    root=$1
    shift
    exec chroot "$root" "$@"
    """.write(toFile: launcher, atomically: true, encoding: .utf8)
    let command =
      ["/usr/bin/unshare", "--mount", "--pid", "--fork", "--kill-child", "/bin/sh", launcher, rootfs, "/usr/bin/env", "-i"]
      + (config.env ?? []) + (config.entrypoint ?? []) + (config.cmd ?? [])
    let gateway = try ChildProcess(executable: command[0], arguments: Array(command.dropFirst()))
    defer { gateway.signal(SIGKILL) }
    var healthy = false
    for _ in 0..<100 {
      let probe = try await ImageTests.run("/usr/bin/curl", ["-s", "--max-time", "2", "http://127.0.0.1:\(port)/"])
      if probe.output == "Healthy" {
        healthy = true
        break
      }
      try await Task.sleep(for: .milliseconds(200))
    }
    #expect(healthy, "the gateway in the image did not start: \(gateway.errorText())")
    let refused = try await ImageTests.run(
      "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "http://127.0.0.1:\(port)/score"])
    #expect(refused.output == "401")
    let answered = try await ImageTests.tool(
      "/usr/bin/curl",
      [
        "-s", "--max-time", "10", "-H", "Authorization: Bearer \(key)", "-H", "Content-Type: application/json",
        "--data", #"{"data": [1]}"#, "http://127.0.0.1:\(port)/score",
      ])
    #expect(answered == #"{"deployment":"blue"}"#)
    #expect(upstream.served == 1)
  }
}

/// Progress lines collected from a build.
private final class ProgressLines: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []

  func add(_ line: String) { lock.withLock { lines.append(line) } }
  var all: [String] { lock.withLock { lines } }
}
