import BerthModel
import BerthTargetAPI
import BerthTargetKubernetes
import BerthTesting
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Observing N kubernetes services against the API server double: wall time and list calls per kind.
struct KubernetesBench {
  let sizes: [Int]
  let repetitions: Int

  static let double = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Tests/BerthTargetKubernetesTests/Double/kube_double.py").path

  func run() async throws {
    for size in sizes {
      let child = try ChildProcess(executable: "/usr/bin/env", arguments: ["python3", Self.double, "--no-validate"])
      let line = try await child.line(startingWith: "LISTENING ")
      let server = "http://127.0.0.1:\(line.dropFirst("LISTENING ".count))"
      defer { child.signal() }
      let settings: [String: FieldValue] = [
        "api_server": .string(server), "token_env": .string("BERTH_BENCH_TOKEN"), "namespace": .string("ml-prod"),
      ]
      var objects: [JSONValue] = [
        .obj(["apiVersion": "v1", "kind": "Namespace", "metadata": .obj(["name": "ml-prod"])])
      ]
      var services: [ObservedService] = []
      for index in 0..<size {
        let rendered = KubernetesRenderer.render(
          Self.deployment("svc-\(index)", settings: settings, autoscaled: index % 2 == 0),
          image: .reference("registry.example.com/svc@sha256:\(String(repeating: "ab", count: 32))"), namespace: "ml-prod")
        objects += rendered
        var outputs = ManagedFields.record(rendered)
        outputs["revision"] = .string("rev-\(index)")
        outputs["objects"] = .list(
          rendered.map { .string("\($0["kind"]!.stringValue!)/\($0.value(at: "metadata.name")!.stringValue!)") })
        services.append(ObservedService(name: "svc-\(index)", recordedOutputs: outputs))
      }
      // In chunks: one request of tens of megabytes outlasts URLSession's timeout while the Python double stores it.
      for start in stride(from: 0, to: objects.count, by: 2_000) {
        let chunk = objects[start..<min(start + 2_000, objects.count)]
        try await Self.post(server + "/_double/seed", body: "[" + chunk.map(ObjectOutput.json).joined(separator: ",") + "]")
      }
      let provider = KubernetesTargetProvider(environment: ["BERTH_BENCH_TOKEN": "bench"])
      let request = ObserveRequest(
        computeTargetName: "aks", computeTarget: ComputeTargetSpec(type: .kubernetes, settings: settings), services: services)
      var response: ObserveResponse?
      let seconds = try await median(repetitions) { response = try await provider.observe(request) }
      let healthy = response?.services.values.filter { $0.health == .healthy }.count ?? 0
      report(
        "k8s-observe", size: size, seconds,
        "(\(response?.backendCalls ?? -1) list calls in all: 4 kinds, pages of 500; \(healthy) healthy; API server double)")
      // The same four lists fetched as raw bytes: the double's share of the time (serialising JSON in Python).
      let paths = [
        "/apis/apps/v1/namespaces/ml-prod/deployments", "/api/v1/namespaces/ml-prod/services",
        "/apis/autoscaling/v2/namespaces/ml-prod/horizontalpodautoscalers",
        "/apis/policy/v1/namespaces/ml-prod/poddisruptionbudgets",
      ]
      var bytes = 0
      let raw = try await median(repetitions) {
        bytes = 0
        for path in paths {
          let url = URL(string: server + path + "?labelSelector=app.kubernetes.io%2Fmanaged-by%3Dberth")!
          bytes += try await URLSession.shared.data(for: URLRequest(url: url, timeoutInterval: 300)).0.count
        }
      }
      report("k8s-lists", size: size, raw, "(the 4 unpaged list responses fetched without decoding: \(bytes / 1024) KiB)")
    }
  }

  static func deployment(_ name: String, settings: [String: FieldValue], autoscaled: Bool) -> ServiceDeployment {
    ServiceDeployment(
      name: name, revision: "rev-\(name.dropFirst(4))",
      models: [DeployedModel(name: "m", version: 1, sha256: "00", storePath: "", basename: "m")], sourceDirectory: "/src",
      entryScript: "score.py", condaFile: "/conda.yaml", environmentName: "env", environmentDigest: "00",
      settings: autoscaled ? ["autoscale_enabled": .bool(true)] : ["num_replicas": .int(2)], computeTargetName: "aks",
      computeTarget: ComputeTargetSpec(type: .kubernetes, settings: settings))
  }

  static func post(_ url: String, body: String) async throws {
    // Seeding tens of thousands of objects into the Python double takes minutes on a loaded machine.
    var request = URLRequest(url: URL(string: url)!, timeoutInterval: 900)
    request.httpMethod = "POST"
    request.httpBody = Data(body.utf8)
    _ = try await URLSession.shared.data(for: request)
  }
}
