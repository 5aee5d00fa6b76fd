import BerthModel
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The Kubernetes API server double (`Tests/BerthTargetKubernetesTests/Double/kube_double.py`), which validates every
/// object against the published schemas and plays the Job controller, started for one test.
public final class KubeAPIDouble: Sendable {
  public let child: ChildProcess
  public let url: String

  public init(kubernetesVersion: String = "1.30.0") async throws {
    let script = RepositoryPaths.root.appendingPathComponent("Tests/BerthTargetKubernetesTests/Double/kube_double.py").path
    child = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3", script, "--kube-version", kubernetesVersion])
    let line = try await child.line(startingWith: "LISTENING ")
    url = "http://127.0.0.1:" + line.dropFirst("LISTENING ".count)
  }

  public func stop() async { await child.kill() }

  /// Compute target settings for this server in `namespace` (the token is read from `BERTH_TEST_TOKEN`, which the
  /// double does not check: give providers `environment`).
  public func settings(namespace: String) -> [String: FieldValue] {
    ["api_server": .string(url), "token_env": .string("BERTH_TEST_TOKEN"), "namespace": .string(namespace)]
  }

  public static let environment = ProcessInfo.processInfo.environment.merging(["BERTH_TEST_TOKEN": "not-checked"]) { $1 }

  /// A `/_double/…` control request; its JSON answer.
  public func control(_ method: String, _ path: String, body: Any? = nil) async throws -> Any {
    var request = URLRequest(url: URL(string: "\(url)/_double/\(path)")!)
    request.httpMethod = method
    if let body { request.httpBody = try JSONSerialization.data(withJSONObject: body) }
    let (data, _) = try await URLSession.shared.data(for: request)
    return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
  }

  /// The stored objects of `kind`.
  public func objects(kind: String) async throws -> [[String: Any]] {
    let all = try await control("GET", "objects") as? [[String: Any]] ?? []
    return all.filter { $0["kind"] as? String == kind }
  }
}

/// One pod as a kubelet would start it: its first container's image, command and environment (`fieldRef`s to the
/// pod's labels resolved, as the kubelet's downward API does).
public struct DoublePod: Sendable {
  public var name: String
  public var namespace: String
  public var image: String
  public var command: [String]
  public var environment: [String: String]
}

/// The kubelet the API double lacks: takes the pods the Job controller made (`/_double/pending-pods`), runs each with
/// `runner`, and reports its exit status and output as the pod's log (`/_double/pod-finished`). The runner says what
/// "running a container" is in a test: a local process with the image's paths mapped, or the real image under chroot.
public final class KubeletDouble: @unchecked Sendable {
  public typealias Runner = @Sendable (DoublePod) async throws -> (status: Int32, log: String)
  let double: KubeAPIDouble
  let runner: Runner
  private let lock = NSLock()
  private var started = 0
  private var pauseAfter: Int?

  public init(double: KubeAPIDouble, runner: @escaping Runner) {
    self.double = double
    self.runner = runner
  }

  /// Pods started so far.
  public var podsRun: Int { lock.withLock { started } }

  /// Takes no more pods once `count` have started (an interrupted run); nil: take them all. Pods already taken run.
  public func pause(after count: Int?) { lock.withLock { pauseAfter = count } }

  /// Polls for pods and runs them, one at a time, until cancelled.
  public func run() async {
    while !Task.isCancelled {
      // Paused, the kubelet takes no pods: they stay Pending until it goes on.
      let paused = lock.withLock { pauseAfter.map { started >= $0 } ?? false }
      let pods = paused ? [] : (try? await double.control("GET", "pending-pods") as? [[String: Any]]) ?? []
      for pod in pods {
        lock.withLock { started += 1 }
        guard let parsed = Self.parse(pod) else { continue }
        let result = (try? await runner(parsed)) ?? (status: 127, log: "the test kubelet could not start the container")
        _ = try? await double.control(
          "POST", "pod-finished",
          body: ["namespace": parsed.namespace, "name": parsed.name, "exitCode": Int(result.status), "log": result.log])
      }
      try? await Task.sleep(for: .milliseconds(50))
    }
  }

  static func parse(_ pod: [String: Any]) -> DoublePod? {
    let metadata = pod["metadata"] as? [String: Any] ?? [:]
    let labels = metadata["labels"] as? [String: String] ?? [:]
    guard let name = metadata["name"] as? String, let namespace = metadata["namespace"] as? String,
      let container = ((pod["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first
    else { return nil }
    var environment: [String: String] = [:]
    for variable in container["env"] as? [[String: Any]] ?? [] {
      guard let variableName = variable["name"] as? String else { continue }
      if let value = variable["value"] as? String {
        environment[variableName] = value
      } else if let field = (variable["valueFrom"] as? [String: Any])?["fieldRef"] as? [String: Any],
        let path = field["fieldPath"] as? String, path.hasPrefix("metadata.labels['"), path.hasSuffix("']")
      {
        environment[variableName] = labels[String(path.dropFirst("metadata.labels['".count).dropLast(2))]
      }
    }
    return DoublePod(
      name: name, namespace: namespace, image: container["image"] as? String ?? "",
      command: (container["command"] as? [String] ?? []) + (container["args"] as? [String] ?? []),
      environment: environment)
  }
}
