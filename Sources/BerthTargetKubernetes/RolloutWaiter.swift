import BerthModel
import BerthTargetAPI
import Foundation

/// Waits until a Deployment has rolled out, or explains why it did not: pod events and the last log lines.
struct RolloutWaiter: Sendable {
  let client: KubeClient
  let namespace: String
  let name: String
  /// How long to wait in all (the progress deadline plus slack for the controller to notice).
  let timeout: Duration
  let pollInterval: Duration
  let progress: @Sendable (String) -> Void

  /// Log lines fetched from a failing pod.
  static let logLines = 20

  func wait() async throws -> String {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    var lastMessage = ""
    while true {
      guard let live = try await client.get(.deployment, name, namespace: namespace) else {
        throw KubernetesError.configuration("Deployment \(namespace)/\(name) disappeared during its rollout").targetError
      }
      let status = RolloutStatus.of(live)
      switch status {
      case .complete(let message):
        return message
      case .failed(let message):
        throw await failure("rollout of \(namespace)/\(name) failed: \(message)")
      case .progressing(let message):
        if message != lastMessage {
          progress("rollout: \(message)")
          lastMessage = message
        }
      }
      if clock.now >= deadline {
        throw await failure("rollout of \(namespace)/\(name) did not finish in \(timeout): \(lastMessage)")
      }
      try await Task.sleep(for: pollInterval)
    }
  }

  /// An error with the service's recent warning events in its message and a failing pod's log as its tail.
  func failure(_ message: String) async -> TargetError {
    let (events, logTail) = await Self.diagnose(client: client, namespace: namespace, service: name)
    var text = message
    if !events.isEmpty { text += "\n  events:\n" + events.map { "    " + $0 }.joined(separator: "\n") }
    return TargetError(text, isRetryable: false, logTail: logTail)
  }

  /// Warning events of the service's pods and replica sets, and the last lines of the worst pod's log.
  static func diagnose(client: KubeClient, namespace: String, service: String) async -> (events: [String], logTail: [String]) {
    let selector =
      "\(KubernetesRenderer.nameLabel)=\(service),\(KubernetesRenderer.managedByLabel)=\(KubernetesRenderer.managedBy)"
    let pods = (try? await client.list(.pod, namespace: namespace, labelSelector: selector)) ?? []
    let podNames = Set(pods.compactMap { $0["metadata"]?["name"]?.stringValue })
    let allEvents = (try? await client.list(.event, namespace: namespace)) ?? []
    let events = allEvents.filter { event in
      let involved = event["involvedObject"]?["name"]?.stringValue ?? ""
      return podNames.contains(involved) || involved == service || involved.hasPrefix(service + "-")
    }
    .sorted { ($0["lastTimestamp"]?.stringValue ?? "") < ($1["lastTimestamp"]?.stringValue ?? "") }
    .suffix(10)
    .map { event -> String in
      let object = event["involvedObject"]?["kind"]?.stringValue ?? "?"
      let objectName = event["involvedObject"]?["name"]?.stringValue ?? "?"
      return
        "\(event["type"]?.stringValue ?? "Normal") \(event["reason"]?.stringValue ?? "") \(object)/\(objectName): \(event["message"]?.stringValue ?? "")"
    }
    // The pod most likely to explain a failure: one that restarted, else one that is not ready.
    func restarts(_ pod: JSONValue) -> Int {
      (pod["status"]?["containerStatuses"]?.arrayValue ?? []).map { $0["restartCount"]?.intValue ?? 0 }.reduce(0, +)
    }
    func ready(_ pod: JSONValue) -> Bool {
      (pod["status"]?["containerStatuses"]?.arrayValue ?? []).allSatisfy { $0["ready"] == .bool(true) }
        && !(pod["status"]?["containerStatuses"]?.arrayValue ?? []).isEmpty
    }
    var logTail: [String] = []
    let suspect =
      pods.filter { restarts($0) > 0 }.max { restarts($0) < restarts($1) } ?? pods.first { !ready($0) } ?? pods.first
    if let pod = suspect,
      let podName = pod["metadata"]?["name"]?.stringValue
    {
      let container = KubernetesRenderer.containerName
      var text: String?
      if restarts(pod) > 0 {
        text = try? await client.log(
          pod: podName, namespace: namespace, container: container, tailLines: logLines, previous: true)
      }
      if text == nil {
        text = try? await client.log(pod: podName, namespace: namespace, container: container, tailLines: logLines)
      }
      if let text {
        logTail = text.split(separator: "\n", omittingEmptySubsequences: true).suffix(logLines).map { "[\(podName)] " + $0 }
      }
    }
    return (Array(events), logTail)
  }
}
