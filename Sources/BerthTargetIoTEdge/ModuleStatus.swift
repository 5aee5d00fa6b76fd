import BerthModel
import BerthTargetAPI

/// What the `$edgeAgent` twin says of one module: the hub's desired definition and the device's report. Pure.
public struct ModuleStatus: Hashable, Sendable {
  /// `properties.desired.$version` of the `$edgeAgent` twin.
  public var desiredVersion: Int?
  /// `properties.reported.lastDesiredVersion`: the desired version the device last applied.
  public var reportedVersion: Int?
  /// `lastDesiredStatus.code` (200: the device applied it).
  public var lastDesiredCode: Int?
  public var lastDesiredDescription: String?
  /// The module as the hub wants it, without twin metadata.
  public var desired: JSONValue?
  /// The module as the device reports it.
  public var reported: JSONValue?

  public init(twin: JSONValue, module name: String) {
    let desiredProperties = twin["properties"]?["desired"]
    let reportedProperties = twin["properties"]?["reported"]
    desiredVersion = desiredProperties?["$version"]?.intValue
    reportedVersion = reportedProperties?["lastDesiredVersion"]?.intValue
    lastDesiredCode = reportedProperties?["lastDesiredStatus"]?["code"]?.intValue
    lastDesiredDescription = reportedProperties?["lastDesiredStatus"]?["description"]?.stringValue
    desired = desiredProperties?["modules"]?[name]?.withoutTwinMetadata
    reported = reportedProperties?["modules"]?[name]
  }

  public var runtimeStatus: String? { reported?["runtimeStatus"]?.stringValue }
  public var exitCode: Int? { reported?["exitCode"]?.intValue }
  public var lastExitTime: String? { reported?["lastExitTimeUtc"]?.stringValue }
  /// Whether the device has applied the hub's current desired properties.
  public var deviceIsCurrent: Bool {
    guard let desiredVersion, let reportedVersion else { return false }
    return reportedVersion >= desiredVersion
  }

  /// Runtime states of a module that will not serve without a change: it exited and is restarting, or gave up.
  public static let failedStates: Set<String> = ["backoff", "failed", "dead", "stopped"]

  /// Why the module is failing, from the device's report (exit code, last exit, description).
  public var failure: String? {
    guard let status = runtimeStatus, Self.failedStates.contains(status) else { return nil }
    var parts = ["runtimeStatus \(status)"]
    if let exitCode { parts.append("exit code \(exitCode)") }
    if let lastExitTime { parts.append("last exit \(lastExitTime)") }
    var text = parts.joined(separator: ", ")
    if let description = reported?["statusDescription"]?.stringValue, !description.isEmpty { text += ": \(description)" }
    return text
  }

  /// The observation of the module Berth recorded with `recordedDigest` (its definition's digest at the last apply).
  public func observation(recordedDigest: String?) -> Observation {
    guard let desired else {
      return Observation(health: .missing, message: "no module in the device's deployment manifest")
    }
    var attributes: Attributes = [:]
    if let image = desired["settings"]?["image"]?.stringValue { attributes["image"] = .string(image) }
    if let desiredVersion { attributes["desired_version"] = .int(desiredVersion) }
    if let reportedVersion { attributes["reported_version"] = .int(reportedVersion) }
    if let runtimeStatus { attributes["runtime_status"] = .string(runtimeStatus) }
    if let exitCode { attributes["exit_code"] = .int(exitCode) }
    if let lastExitTime { attributes["last_exit_time"] = .string(lastExitTime) }
    let digest = EdgeModule.digest(of: desired)
    if let recordedDigest, digest != recordedDigest {
      return Observation(
        health: .degraded, revision: nil,
        message: "the module's definition in the device's manifest was changed outside Berth", attributes: attributes)
    }
    let revision = desired["version"]?.stringValue
    guard deviceIsCurrent else {
      return Observation(
        health: .progressing, revision: revision,
        message:
          "the device has not applied desired version \(desiredVersion.map(String.init) ?? "?") yet (it reports \(reportedVersion.map(String.init) ?? "none"))",
        attributes: attributes)
    }
    if let code = lastDesiredCode, code != 200 {
      return Observation(
        health: .degraded, revision: revision,
        message: "the device could not apply its manifest (\(code)\(lastDesiredDescription.map { ": \($0)" } ?? ""))",
        attributes: attributes)
    }
    if let failure { return Observation(health: .degraded, revision: revision, message: failure, attributes: attributes) }
    guard runtimeStatus == "running" else {
      return Observation(
        health: .progressing, revision: revision,
        message: "the module is \(runtimeStatus ?? "not reported by the device yet")", attributes: attributes)
    }
    if let reportedModuleVersion = reported?["version"]?.stringValue, reportedModuleVersion != revision {
      return Observation(
        health: .progressing, revision: revision,
        message: "the device runs version \(reportedModuleVersion) of the module", attributes: attributes)
    }
    return Observation(health: .healthy, revision: revision, message: "running on the device", attributes: attributes)
  }
}
