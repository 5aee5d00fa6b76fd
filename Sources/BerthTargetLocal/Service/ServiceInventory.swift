/// What runs for one service right now: its revisions, from the records and from a process scan (and port proxies
/// an older Berth left, to be stopped).
struct ServiceInventory: Sendable {
  /// A live port proxy started by a Berth from before the gateway.
  struct Proxy: Sendable, Hashable {
    var pid: Int32
    var port: Int
  }

  /// A revision folder and the live process groups that belong to it.
  struct Revision: Sendable, Hashable {
    var name: String
    /// `server.json`, if it was written.
    var handle: ScoringProcessHandle?
    /// Live process groups of the revision (recorded or found by the scan).
    var processGroups: Set<Int32>
    /// Whether the folder exists.
    var hasFolder: Bool
    /// The private port it listens on, from `server.json` or its command line.
    var port: Int?

    /// True when the recorded server is alive.
    var isRecordedServerAlive: Bool {
      guard let handle else { return false }
      return ProcessLiveness.isAlive(pid: handle.pid, startTime: handle.startTime)
    }
  }

  var legacyProxies: [Proxy]
  var revisions: [Revision]

  /// Reads the records under `layout` and scans for processes they do not mention.
  static func read(_ layout: ServiceLayout) -> ServiceInventory {
    let found = ServiceProcessScan.scan(serviceRoot: layout.root)
    let legacyProxies = found.filter { $0.role == .proxy }.compactMap { process in
      process.port.map { Proxy(pid: process.processGroup, port: $0) }
    }

    var revisions: [String: Revision] = [:]
    for name in layout.revisionNames() {
      let handle = layout.revision(name).readServerRecord()
      var groups: Set<Int32> = []
      if let handle, ProcessLiveness.isAlive(pid: handle.pid, startTime: handle.startTime) { groups.insert(handle.processGroup) }
      revisions[name] = Revision(name: name, handle: handle, processGroups: groups, hasFolder: true, port: handle?.port)
    }
    for process in found where process.role == .revision {
      let name = process.revision ?? "unknown"
      var revision = revisions[name] ?? Revision(name: name, handle: nil, processGroups: [], hasFolder: false, port: nil)
      revision.processGroups.insert(process.processGroup)
      revision.port = revision.port ?? process.port
      revisions[name] = revision
    }
    return ServiceInventory(legacyProxies: legacyProxies, revisions: revisions.values.sorted { $0.name < $1.name })
  }

  /// The revision called `name`, if it has a folder or a process.
  func revision(_ name: String) -> Revision? { revisions.first { $0.name == name } }
}
