import BerthModel
import BerthTargetAPI

/// `berth logs` for a kubernetes service: the scoring container's log of each of its pods.
extension KubernetesTargetProvider: ServiceLogReading {
  public func logs(_ request: LogRequest) async throws -> [String] {
    var settings = request.computeTarget.settings
    // A service recorded in another namespace than the compute target's current one is read where it runs.
    if settings["namespace"] == nil, let recorded = request.service.recordedOutputs["namespace"] {
      settings["namespace"] = recorded
    }
    return try await withClient(settings) { client in
      let namespace: String =
        if case .string(let recorded)? = request.service.recordedOutputs["namespace"] { recorded } else {
          client.connection.namespace
        }
      let selector =
        "\(KubernetesRenderer.nameLabel)=\(request.service.instance),\(KubernetesRenderer.managedByLabel)=\(KubernetesRenderer.managedBy)"
      let pods = try await client.list(.pod, namespace: namespace, labelSelector: selector)
        .compactMap { $0["metadata"]?["name"]?.stringValue }.sorted()
      guard !pods.isEmpty else {
        throw TargetError("no pods of Deployment \(namespace)/\(request.service.instance) are running")
      }
      var lines: [String] = []
      for pod in pods {
        let text = try await client.log(
          pod: pod, namespace: namespace, container: KubernetesRenderer.containerName, tailLines: request.tail)
        lines += text.split(separator: "\n", omittingEmptySubsequences: true).suffix(request.tail).map { "[\(pod)] " + $0 }
      }
      return lines
    }
  }
}
