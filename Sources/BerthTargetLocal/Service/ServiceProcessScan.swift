import Foundation

/// Finds the processes Berth started for a service, whether or not their pids were ever recorded.
///
/// Every process the local target starts carries `BERTH_SERVICE_DIR`,
/// `BERTH_ROLE` and (for revisions) `BERTH_REVISION` in its environment, so a
/// run that was killed between starting a process and recording it leaves
/// nothing that a later run cannot find. Linux only (`/proc`); elsewhere the
/// scan finds nothing and only recorded pids are used.
enum ServiceProcessScan {
  /// What a process is to its service.
  enum Role: String, Sendable {
    /// The port proxy of Berth versions before the gateway; found only to be stopped.
    case proxy
    case revision
    /// A `berth gateway` process (its port is in its listening file, not on its command line).
    case gateway
  }

  /// One process group found by the scan.
  struct Found: Sendable, Hashable {
    /// The group leader's pid (or the lowest pid when the leader is gone).
    var pid: Int32
    /// The process group.
    var processGroup: Int32
    var role: Role
    /// The revision, for scoring servers.
    var revision: String?
    /// The port it listens on: `--listen` of a proxy, `--port` of a scoring server.
    var port: Int?
  }

  static let serviceVariable = "BERTH_SERVICE_DIR"
  static let roleVariable = "BERTH_ROLE"
  static let revisionVariable = "BERTH_REVISION"

  /// The environment variables that mark a process as `role` of the service at `serviceRoot`.
  static func identity(serviceRoot: String, role: Role, revision: String? = nil) -> [String: String] {
    var variables = [serviceVariable: serviceRoot, roleVariable: role.rawValue]
    if let revision { variables[revisionVariable] = revision }
    return variables
  }

  /// Live process groups of the service at `serviceRoot`, one entry per group.
  static func scan(serviceRoot: String) -> [Found] {
    #if os(Linux)
    let marker = Data("\(serviceVariable)=\(serviceRoot)\0".utf8)
    var groups: [Int32: Found] = [:]
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for pid in entries.compactMap(Int32.init) where pid != getpid() {
      guard let environment = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
        environment.range(of: marker) != nil,
        let stat = ProcStat(pid: pid), stat.state != "Z", stat.state != "X"
      else { continue }
      let variables = parse(environment)
      guard let role = variables[roleVariable].flatMap(Role.init(rawValue:)) else { continue }
      let found = Found(
        pid: pid, processGroup: stat.processGroup, role: role, revision: variables[revisionVariable],
        port: role == .gateway ? nil : port(pid: pid, flag: role == .proxy ? "--listen" : "--port"))
      if let existing = groups[stat.processGroup],
        !(pid == stat.processGroup || (existing.pid != stat.processGroup && pid < existing.pid))
      {
        continue
      }
      groups[stat.processGroup] = found
    }
    return groups.values.sorted { $0.pid < $1.pid }
    #else
    return []
    #endif
  }

  private static func parse(_ environment: Data) -> [String: String] {
    var variables: [String: String] = [:]
    for entry in environment.split(separator: 0) {
      let text = String(decoding: entry, as: UTF8.self)
      guard let equals = text.firstIndex(of: "="), text.hasPrefix("BERTH_") else { continue }
      variables[String(text[..<equals])] = String(text[text.index(after: equals)...])
    }
    return variables
  }

  private static func port(pid: Int32, flag: String) -> Int? {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
    let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
    return Int(arguments[index + 1])
  }
}
