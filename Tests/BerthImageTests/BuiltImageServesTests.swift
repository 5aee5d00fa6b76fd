import BerthTesting
import Foundation
import Testing

@testable import BerthImage

/// The end-to-end proof: the pushed image, unpacked by umoci into a root filesystem, runs its own entrypoint
/// (chroot in fresh mount and PID namespaces, as root) and answers `/score` with the model's predictions.
@Suite(.serialized, .enabled(if: ImageTests.toolsAvailable, ImageTests.unavailable))
struct BuiltImageServesTests {
  @Test func unpackedImageRunsItsEntrypointAndScores() async throws {
    let built = try await BuiltDiabetes.built()
    let reference = built.response.image.reference
    let rootfs = try await Unpacked.rootfs(of: reference, registry: built.registry)
    let configText = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--config"] + built.registry.skopeoOptions() + ["docker://\(reference)"])
    let config = try #require(try JSONDecoder().decode(ImageConfig.self, from: Data(configText.utf8)).config)
    let port = try await ImageTests.tool(
      "/usr/bin/python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"]
    ).trimmingCharacters(in: .whitespacesAndNewlines)

    // Mount /proc and /dev inside the new mount namespace, then chroot and run exactly the image's entrypoint
    // (plus a free port, since the chroot shares this machine's network) with exactly its environment.
    let launcher = rootfs + "/../launch.sh"
    try """
    #!/bin/sh
    set -e
    mount -t proc proc "$1/proc"
    mount --rbind /dev "$1/dev"
    cd "$1\(config.workingDir ?? "/")"
    root=$1
    shift
    exec chroot "$root" "$@"
    """.write(toFile: launcher, atomically: true, encoding: .utf8)
    let command =
      ["/usr/bin/unshare", "--mount", "--pid", "--fork", "--kill-child", "/bin/sh", launcher, rootfs, "/usr/bin/env", "-i"]
      + (config.env ?? []) + (config.entrypoint ?? []) + (config.cmd ?? []) + ["--port", port]
    let server = try ChildProcess(executable: command[0], arguments: Array(command.dropFirst()))
    // unshare ignores SIGTERM while it waits; SIGKILL makes --kill-child take the whole PID namespace down.
    defer { server.signal(SIGKILL) }

    var healthy = false
    for _ in 0..<240 {
      let probe = try await ImageTests.run("/usr/bin/curl", ["-s", "--max-time", "2", "http://127.0.0.1:\(port)/"])
      if probe.output == "Healthy" {
        healthy = true
        break
      }
      try await Task.sleep(for: .milliseconds(500))
    }
    #expect(healthy, "the server in the image did not become healthy: \(server.errorText())")
    let score = try await ImageTests.tool(
      "/usr/bin/curl",
      [
        "-s", "--max-time", "30", "-H", "Content-Type: application/json", "--data-binary",
        "@\(built.checkout.root)/sample-request.json", "http://127.0.0.1:\(port)/score",
      ])
    let predictions = try #require(try JSONSerialization.jsonObject(with: Data(score.utf8)) as? [Double], "\(score)")
    #expect(predictions.count == 2)
    #expect(abs(predictions[0] - 199.8457) < 0.01)
  }
}
