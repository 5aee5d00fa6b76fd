import BerthAzure
import BerthModel
import BerthTargetACI
import BerthTargetAPI
import BerthTesting
import Foundation
import Testing

@testable import BerthImage

/// An ACI container group with `auth_enabled`, created through the ARM double, then run as ACI would run it: each of
/// its containers from its image (unpacked by umoci) under unshare + chroot, with exactly the group's environment
/// (secure values included), command and secret volume, both in one network namespace of their own, so the gateway
/// reaches the scoring server on the group's localhost and nothing else does. Scored through the gateway with the keys
/// Berth derives; then updated and deleted through the double.
@Suite(.serialized, .enabled(if: ImageTests.toolsAvailable, ImageTests.unavailable))
struct ACIGroupServesTests {
  static let secret = "aci-group-secret-never-printed"

  @Test func groupCreatedScoresThroughTheGatewayContainerThenUpdatesAndDeletes() async throws {
    let built = try await BuiltDiabetes.built()
    let registry = built.registry
    let gatewayImage = try await GatewayImageBuilder(cacheDirectory: try ImageTests.scratch("aci-gateway-cache")).build(
      GatewayImageBuilder.Request(
        binary: try GatewayImageTests.berthBinary(), baseImage: built.base, registry: registry.reference))

    let arm = try await ARMDouble(polls: 0)
    defer { Task { await arm.stop() } }
    let provider = ACITargetProvider(
      environment: arm.environment.merging(["ACI_AUTH_SECRET": Self.secret]) { $1 }, pollInterval: .milliseconds(20))
    let target: [String: FieldValue] = [
      "subscription_id": .string("00000000-0000-0000-0000-00000000beef"), "resource_group": .string("ml-dev"),
      "location": .string("westeurope"), "resource_manager": .string(arm.url), "auth_secret_env": .string("ACI_AUTH_SECRET"),
    ]
    var deployment = try built.checkout.deployment()
    deployment.computeTargetName = "aci-dev"
    deployment.computeTarget = ComputeTargetSpec(type: .aci, settings: target)
    deployment.settings["auth_enabled"] = .bool(true)
    deployment.image = built.response.image
    deployment.gatewayImage = gatewayImage
    let created = try await provider.apply(ApplyRequest(operation: .deploy(deployment)))
    let path = try #require(created.outputs["resource_id"].flatMap { if case .string(let s) = $0 { s } else { nil } })
    let group = try arm.control("GET", "resource?path=\(path)")

    // Run the group.
    let namespace = "berth-aci-\(getpid())"
    try await ImageTests.tool("/usr/sbin/ip", ["netns", "add", namespace])
    defer { _ = try? Process.run(URL(fileURLWithPath: "/usr/sbin/ip"), arguments: ["netns", "delete", namespace]) }
    try await ImageTests.tool("/usr/sbin/ip", ["netns", "exec", namespace, "ip", "link", "set", "lo", "up"])
    let properties = try #require(group["properties"] as? [String: Any])
    let volumes = properties["volumes"] as? [[String: Any]] ?? []
    var running: [ChildProcess] = []
    defer { for child in running { child.signal(SIGKILL) } }
    for container in try #require(properties["containers"] as? [[String: Any]]) {
      running.append(try await Self.start(container, volumes: volumes, registry: registry, namespace: namespace))
    }
    func inGroup(_ arguments: [String]) async throws -> (status: Int32, output: String, errors: String) {
      try await ImageTests.run("/usr/sbin/ip", ["netns", "exec", namespace, "/usr/bin/curl"] + arguments)
    }
    var healthy = false
    for _ in 0..<240 where !healthy {
      // The gateway's GET / answers Healthy once its upstream (the scoring container) does.
      healthy = try await inGroup(["-s", "--max-time", "2", "http://127.0.0.1:80/"]).output == "Healthy"
      if !healthy { try await Task.sleep(for: .milliseconds(500)) }
    }
    #expect(healthy, "the group did not come up: \(running.map { $0.errorText() })")
    let refused = try await inGroup(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "http://127.0.0.1:80/score"])
    #expect(refused.output == "401")
    let keys = try await provider.endpointSecrets(name: "diabetes-aks", recorded: created.outputs)
    let scored = try await inGroup([
      "-s", "--max-time", "30", "-H", "Authorization: Bearer \(try #require(keys.primaryKey))", "-H",
      "Content-Type: application/json", "--data-binary", "@\(built.checkout.root)/sample-request.json",
      "http://127.0.0.1:80/score",
    ])
    let predictions = try #require(
      try JSONSerialization.jsonObject(with: Data(scored.output.utf8)) as? [Double], "\(scored.output)")
    #expect(predictions.count == 2)
    #expect(abs(predictions[0] - 199.8457) < 0.01)
    // From this machine's own network the scoring server is not reachable: only the group's localhost has it.
    let outside = try await ImageTests.run("/usr/bin/curl", ["-s", "--max-time", "2", "http://127.0.0.1:5001/"])
    #expect(outside.output != "Healthy")

    // Update (a new revision) and delete, through the double.
    var next = deployment
    next.revision = "test-2"
    _ = try await provider.apply(ApplyRequest(operation: .update(next, previous: created.outputs)))
    let updated = try arm.control("GET", "resource?path=\(path)")
    #expect((updated["tags"] as? [String: Any])?["berth.dev/revision"] as? String == "test-2")
    _ = try await provider.apply(ApplyRequest(operation: .delete(name: "diabetes-aks", previous: created.outputs)))
    #expect(try arm.control("GET", "resource?path=\(path)").isEmpty)
  }

  /// One container of the group, from its image, in the group's network namespace.
  static func start(_ container: [String: Any], volumes: [[String: Any]], registry: TestRegistry, namespace: String)
    async throws -> ChildProcess
  {
    let properties = container["properties"] as? [String: Any] ?? [:]
    let image = properties["image"] as? String ?? ""
    let rootfs = try await Unpacked.rootfs(of: image, registry: registry)
    let configText = try await ImageTests.tool(
      "/usr/bin/skopeo", ["inspect", "--config"] + registry.skopeoOptions() + ["docker://\(image)"])
    let config = try #require(try JSONDecoder().decode(ImageConfig.self, from: Data(configText.utf8)).config)
    // ACI's rules: the container's variables over the image's; its command replaces the image's entrypoint and cmd.
    var environment = config.env ?? []
    for variable in properties["environmentVariables"] as? [[String: Any]] ?? [] {
      guard let name = variable["name"] as? String,
        let value = variable["value"] as? String ?? variable["secureValue"] as? String
      else { continue }
      environment.removeAll { $0.hasPrefix(name + "=") }
      environment.append("\(name)=\(value)")
    }
    let command = properties["command"] as? [String] ?? ((config.entrypoint ?? []) + (config.cmd ?? []))
    // Secret volumes: their files, written where the container mounts them.
    for mount in properties["volumeMounts"] as? [[String: Any]] ?? [] {
      guard let volume = volumes.first(where: { $0["name"] as? String == mount["name"] as? String }),
        let files = volume["secret"] as? [String: String], let mountPath = mount["mountPath"] as? String
      else { continue }
      try FileManager.default.createDirectory(atPath: rootfs + mountPath, withIntermediateDirectories: true)
      for (name, base64) in files {
        try Data(base64Encoded: base64)?.write(to: URL(fileURLWithPath: rootfs + mountPath + "/" + name))
      }
    }
    let launcher = rootfs + "/../launch.sh"
    try ImageTests.writeChrootLauncher(to: launcher)
    let arguments =
      [
        "netns", "exec", namespace, "/usr/bin/unshare", "--mount", "--pid", "--fork", "--kill-child", "/bin/sh", launcher,
        rootfs, "/usr/bin/env", "-i",
      ] + environment + command
    return try ChildProcess(executable: "/usr/sbin/ip", arguments: arguments)
  }
}
