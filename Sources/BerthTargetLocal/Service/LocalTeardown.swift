import BerthModel
import BerthProcess
import BerthTargetAPI
import Foundation

/// Deletes one local service: stops its proxy (which lets open connections finish) and its revisions, frees the port.
struct LocalTeardown: Sendable {
  let provider: LocalTargetProvider
  let service: String
  let previous: Attributes
  let progress: @Sendable (String) -> Void

  func run() async throws -> ApplyResponse {
    let layout = provider.layout(of: service)
    let inventory = ServiceInventory.read(layout)
    let port = inventory.proxies.first?.port ?? ProxyRecord.read(layout.proxyRecordFile)?.port ?? previous.int("port")
    var stopped: [String] = []
    var survivors: [Int32] = []
    // The proxy first: it stops accepting and drains, so requests in flight still reach their revision.
    for proxy in inventory.proxies {
      progress("stopping the proxy on port \(proxy.port) (pid \(proxy.pid))")
      survivors += await provider.stop(processGroups: [proxy.pid])
      stopped.append("proxy (pid \(proxy.pid))")
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
    if let port, !stopped.isEmpty {
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
