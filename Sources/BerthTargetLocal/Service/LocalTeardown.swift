import BerthModel
import BerthProcess
import BerthTargetAPI
import Foundation

/// Deletes one local service: takes it out of its gateway (stopping its own gateway, which lets answers in flight
/// finish, or leaving its endpoint's), then stops its revisions and frees the port.
struct LocalTeardown: Sendable {
  let provider: LocalTargetProvider
  let service: String
  let name: String
  let previous: Attributes
  let progress: @Sendable (String) -> Void

  func run() async throws -> ApplyResponse {
    let layout = provider.layout(of: service)
    let inventory = ServiceInventory.read(layout)
    let own = provider.serviceHost(layout)
    let port = own.runningProcess().flatMap(own.listening)?.port ?? previous.int("port")
    var stopped: [String] = []
    var survivors: [Int32] = []
    if case .string(let endpoint)? = previous["endpoint"] {
      let host = provider.endpointHost(endpoint)
      host.unregister(name)
      if host.runningProcess() != nil, let digest = try? host.compose() {
        _ = try? await host.serve(digest: digest, progress: progress)
        let upstreams = inventory.revisions.compactMap(\.port).map { "127.0.0.1:\($0)" }
        _ = await host.drain(upstreams, timeout: provider.timings.drainTimeout)
        stopped.append("left endpoint '\(endpoint)'")
      }
    }
    if let process = own.runningProcess() {
      progress("stopping the gateway (pid \(process.pid))")
      if !(await own.stop()) { survivors.append(process.pid) }
      stopped.append("gateway (pid \(process.pid))")
    }
    for proxy in inventory.legacyProxies {
      survivors += await provider.stop(processGroups: [proxy.pid])
      stopped.append("port proxy (pid \(proxy.pid))")
    }
    for revision in inventory.revisions where !revision.processGroups.isEmpty {
      let pid = revision.handle?.pid ?? revision.processGroups.min()!
      progress("stopping revision \(revision.name) (pid \(pid))")
      survivors += await provider.stop(processGroups: revision.processGroups)
      stopped.append("revision \(revision.name) (pid \(pid))")
    }
    guard survivors.isEmpty else {
      throw TargetError(
        "service '\(service)' could not be stopped: process group(s) \(survivors.map(String.init).joined(separator: ", ")) survived SIGKILL",
        isRetryable: true)
    }
    var portNote = ""
    if let port, !stopped.isEmpty, previous["endpoint"] == nil {
      portNote = await waitUntilFree(port) ? "; port \(port) is free" : "; port \(port) is still in use by another program"
    }
    for revision in inventory.revisions { provider.removeRevisionFolder(layout.revision(revision.name)) }
    do {
      if FileManager.default.fileExists(atPath: layout.root) { try FileManager.default.removeItem(atPath: layout.root) }
    } catch {
      throw TargetError("stopped service '\(service)' but cannot remove '\(layout.root)': \(error.localizedDescription)")
    }
    let what = stopped.isEmpty ? "nothing was running" : "stopped " + stopped.joined(separator: ", ")
    return ApplyResponse(message: what + portNote)
  }

  private func waitUntilFree(_ port: Int) async -> Bool {
    let (timeout, interval) = (provider.timings.portReleaseTimeout, provider.timings.pollInterval)
    return await DedicatedThread.run("berth-port-release") {
      let deadline = ContinuousClock.now + timeout
      while !PortProbe.isFree(port: port) {
        if ContinuousClock.now >= deadline { return false }
        Thread.sleep(forTimeInterval: interval.inSeconds)
      }
      return true
    }
  }
}
