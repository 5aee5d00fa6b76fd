import BerthModel
import BerthTargetAPI
import BerthTargetLocal
import BerthTesting
import Foundation

@testable import BerthTargetBatch

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Kubernetes API server double (`Tests/BerthTargetKubernetesTests/Double/kube_double.py`, which plays the Job
/// controller) and a kubelet played by the test: it takes the pods the Job controller created and runs each one's
/// container command — the image's `/opt/berth/batch` laid out from the job's image layer in a local folder, the
/// environment's Python for `python3` — with the pod's environment, then reports the exit code and the output as the
/// pod's log. What is not a container here: no image pull, no isolation; `ACIGroupServesTests` runs real images.
final class ClusterDouble: Sendable {
  let child: ChildProcess
  let url: String

  init() async throws {
    let script = RepositoryPaths.root.appendingPathComponent("Tests/BerthTargetKubernetesTests/Double/kube_double.py").path
    child = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3", script, "--kube-version", "1.30.0"])
    let line = try await child.line(startingWith: "LISTENING ")
    url = "http://127.0.0.1:" + line.dropFirst("LISTENING ".count)
  }

  func stop() async { await child.kill() }

  /// A batch compute target on this cluster.
  var target: ComputeTargetSpec {
    ComputeTargetSpec(
      type: .batch,
      settings: ["api_server": .string(url), "token_env": .string("BERTH_TEST_TOKEN"), "namespace": .string("ml-batch")])
  }

  static let environment = ProcessInfo.processInfo.environment.merging(["BERTH_TEST_TOKEN": "unused-by-the-double"]) { $1 }

  func control(_ method: String, _ path: String, body: Any? = nil) async throws -> Any {
    var request = URLRequest(url: URL(string: "\(url)/_double/\(path)")!)
    request.httpMethod = method
    if let body { request.httpBody = try JSONSerialization.data(withJSONObject: body) }
    let (data, _) = try await URLSession.shared.data(for: request)
    return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
  }

  /// Objects stored in the double, as `Kind namespace/name`.
  func objects(kind: String) async throws -> [[String: Any]] {
    let all = try await control("GET", "objects") as? [[String: Any]] ?? []
    return all.filter { $0["kind"] as? String == kind }
  }
}

/// Runs the pods of batch Jobs as their containers would run.
final class TestKubelet: @unchecked Sendable {
  let double: ClusterDouble
  /// The image's `/` for the pods: where the job's image layer is laid out.
  let imageRoot: String
  let python: String
  /// The image config's environment (`AZUREML_ENTRY_SCRIPT`, `AZUREML_MODEL_DIR`), with local paths.
  let imageEnvironment: [String: String]
  private let lock = NSLock()
  private var ran = 0
  /// Stop starting pods after this many (an interrupted run); nil: run them all.
  var limit: Int?

  init(double: ClusterDouble, imageRoot: String, python: String, imageEnvironment: [String: String]) {
    self.double = double
    self.imageRoot = imageRoot
    self.python = python
    self.imageEnvironment = imageEnvironment
  }

  var podsRun: Int { lock.withLock { ran } }

  /// Lays out `layers` under `imageRoot`, as the image's filesystem would hold them.
  static func layOut(_ layers: [ImageLayerContent], at root: String) throws {
    for layer in layers {
      for file in layer.files {
        let path = root + file.imagePath
        try FileManager.default.createDirectory(
          atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        switch file.source {
        case .bytes(let bytes): try Data(bytes).write(to: URL(fileURLWithPath: path))
        case .path(let source):
          try? FileManager.default.removeItem(atPath: path)
          try FileManager.default.copyItem(atPath: source, toPath: path)
        }
      }
    }
  }

  /// Polls for pods and runs them until cancelled.
  func run() async {
    while !Task.isCancelled {
      let pods = (try? await double.control("GET", "pending-pods") as? [[String: Any]]) ?? []
      for pod in pods {
        if let limit, lock.withLock({ ran }) >= limit { continue }
        try? await runPod(pod)
      }
      try? await Task.sleep(for: .milliseconds(50))
    }
  }

  private func runPod(_ pod: [String: Any]) async throws {
    let metadata = pod["metadata"] as? [String: Any] ?? [:]
    let labels = metadata["labels"] as? [String: String] ?? [:]
    let spec = pod["spec"] as? [String: Any] ?? [:]
    let container = (spec["containers"] as? [[String: Any]])?.first ?? [:]
    var environment = ProcessInfo.processInfo.environment.merging(imageEnvironment) { $1 }
    for variable in container["env"] as? [[String: Any]] ?? [] {
      guard let name = variable["name"] as? String else { continue }
      if let value = variable["value"] as? String {
        environment[name] = value
      } else if let field = (variable["valueFrom"] as? [String: Any])?["fieldRef"] as? [String: Any],
        let path = field["fieldPath"] as? String, path.hasPrefix("metadata.labels['"), path.hasSuffix("']")
      {
        environment[name] = labels[String(path.dropFirst("metadata.labels['".count).dropLast(2))]
      }
    }
    environment["BERTH_BATCH_DIR"] = imageRoot + PodWorkerProgram.root
    let command = (container["command"] as? [String] ?? []).map { argument in
      argument == "python3" ? python : argument.hasPrefix("/opt/berth/") ? imageRoot + argument : argument
    }
    lock.withLock { ran += 1 }
    let result = try await runToEnd(command[0], Array(command.dropFirst()), environment: environment)
    _ = try await double.control(
      "POST", "pod-finished",
      body: [
        "namespace": metadata["namespace"] as? String ?? "", "name": metadata["name"] as? String ?? "",
        "exitCode": Int(result.status), "log": result.output + result.errors,
      ])
  }
}
