import BerthModel
import BerthTargetAPI

/// What a container group read from Resource Manager says about the service: provisioning state, the group's
/// instance view, each container's current state and restarts, the revision tag Berth wrote.
public enum ContainerGroupHealth {
  public static func observation(_ group: [String: Any]?, name: String) -> Observation {
    guard let group else { return Observation(health: .missing, message: "container group \(name) not found") }
    let properties = group["properties"] as? [String: Any] ?? [:]
    let revision = (group["tags"] as? [String: Any])?["berth.dev/revision"] as? String
    var attributes: Attributes = [:]
    let containers = properties["containers"] as? [[String: Any]] ?? []
    var restarts = 0
    var problems: [String] = []
    for container in containers {
      let containerName = container["name"] as? String ?? "?"
      let containerProperties = container["properties"] as? [String: Any] ?? [:]
      if containerName == ContainerGroupRenderer.scoringContainer, let image = containerProperties["image"] as? String {
        attributes["image"] = .string(image)
      }
      guard let view = containerProperties["instanceView"] as? [String: Any] else { continue }
      restarts += view["restartCount"] as? Int ?? 0
      let current = view["currentState"] as? [String: Any] ?? [:]
      let state = current["state"] as? String ?? "Unknown"
      if state != "Running" {
        var text = "container \(containerName) is \(state)"
        if let detail = current["detailStatus"] as? String, !detail.isEmpty { text += " (\(detail))" }
        let previous = view["previousState"] as? [String: Any]
        if let code = (current["exitCode"] ?? previous?["exitCode"]) as? Int { text += ", last exit code \(code)" }
        problems.append(text)
      }
    }
    attributes["restart_count"] = .int(restarts)
    if let address = properties["ipAddress"] as? [String: Any], let fqdn = address["fqdn"] as? String {
      attributes["fqdn"] = .string(fqdn)
    }
    let provisioning = properties["provisioningState"] as? String ?? "Unknown"
    attributes["provisioning_state"] = .string(provisioning)
    switch provisioning {
    case "Succeeded": break
    case "Failed":
      return Observation(
        health: .degraded, revision: revision,
        message: "provisioning failed" + (problems.isEmpty ? "" : ": " + problems.joined(separator: "; ")),
        attributes: attributes)
    default:
      return Observation(
        health: .progressing, revision: revision, message: "provisioning \(provisioning.lowercased())",
        attributes: attributes)
    }
    let groupState = (properties["instanceView"] as? [String: Any])?["state"] as? String ?? "Unknown"
    attributes["state"] = .string(groupState)
    if groupState != "Running" || !problems.isEmpty {
      let message = (["group is \(groupState)"] + problems).joined(separator: "; ")
      return Observation(
        health: .degraded, revision: revision, message: message + (restarts > 0 ? "; \(restarts) restarts" : ""),
        attributes: attributes)
    }
    return Observation(
      health: .healthy, revision: revision, message: restarts > 0 ? "running; \(restarts) restarts" : "running",
      attributes: attributes)
  }

  /// Events of the group's containers, newest last, for an error's tail.
  public static func events(_ group: [String: Any]?) -> [String] {
    let containers = (group?["properties"] as? [String: Any])?["containers"] as? [[String: Any]] ?? []
    return containers.flatMap { container -> [String] in
      let view = (container["properties"] as? [String: Any])?["instanceView"] as? [String: Any]
      let events = view?["events"] as? [[String: Any]] ?? []
      return events.map { event in
        "\(container["name"] as? String ?? "?"): \(event["name"] as? String ?? "") \(event["message"] as? String ?? "")"
      }
    }
  }
}
