import BerthModel
import BerthProcess
import BerthTargetAPI
import Foundation

/// Reads how every service of one `observe` request is doing: runtime files, process liveness, one `GET /` each.
struct LocalObservation: Sendable {
  let provider: LocalTargetProvider

  /// What can be told without the network, and the backend to probe when the processes are alive.
  private struct Reading: Sendable {
    var name: String
    var observation: Observation
    var probePort: Int?
  }

  func run(_ request: ObserveRequest) async -> ObserveResponse {
    let readings = request.services.map(read)
    let timeout = provider.timings.observeProbeTimeout
    let probed = await withTaskGroup(of: (String, String?).self) { group in
      for reading in readings {
        guard let port = reading.probePort else { continue }
        group.addTask {
          let failure: String? = await DedicatedThread.run("berth-observe") {
            do {
              let response = try LoopbackHTTPClient(timeout: timeout).get(port: port)
              return response.status == 200 ? nil : "GET / on internal port \(port) answered \(response.status)"
            } catch {
              return "GET / on internal port \(port) failed: \(error)"
            }
          }
          return (reading.name, failure)
        }
      }
      var results: [String: String?] = [:]
      for await (name, failure) in group { results[name] = failure }
      return results
    }
    var services: [String: Observation] = [:]
    for reading in readings {
      var observation = reading.observation
      if case .some(.some(let failure)) = probed[reading.name] {
        observation.health = .degraded
        observation.message = failure
      }
      services[reading.name] = observation
    }
    return ObserveResponse(services: services, backendCalls: probed.count)
  }

  private func read(_ service: ObservedService) -> Reading {
    let layout = provider.layout(of: service.instance)
    func missing(_ message: String, revision: String? = nil) -> Reading {
      Reading(name: service.name, observation: Observation(health: .missing, revision: revision, message: message))
    }
    guard FileManager.default.fileExists(atPath: layout.root) else {
      return missing("no runtime folder \(layout.root)")
    }
    guard let proxy = ProxyRecord.read(layout.proxyRecordFile) else {
      return missing("the port proxy was never started")
    }
    guard let routed = RouteFile.read(layout.routeFile) else { return missing("no route file \(layout.routeFile)") }
    let serving = layout.revisionNames().lazy.compactMap { name -> (String, ScoringProcessHandle)? in
      guard let handle = layout.revision(name).readServerRecord(), handle.port == routed else { return nil }
      return (name, handle)
    }.first
    guard let (revision, handle) = serving else {
      return missing("no revision listens on the routed internal port \(routed)")
    }
    guard proxy.isAlive else { return missing("proxy process \(proxy.pid) is not running", revision: revision) }
    guard ProcessLiveness.isAlive(pid: handle.pid, startTime: handle.startTime) else {
      return missing("process \(handle.pid) is not running", revision: revision)
    }
    // The same values an apply records, so that `berth import` can record an adopted service fully.
    let attributes: Attributes = [
      ServiceInstance.outputKey: .string(service.instance), "revision": .string(revision),
      "port": .int(proxy.port), "backend_port": .int(handle.port), "pid": .int(Int(handle.pid)),
      "proxy_pid": .int(Int(proxy.pid)), "start_time": .string(ISO8601DateFormatter().string(from: handle.startedAt)),
      "scoring_uri": .string("http://localhost:\(proxy.port)/score"),
      "swagger_uri": .string("http://localhost:\(proxy.port)/swagger.json"), "log_file": .string(handle.logFile),
    ]
    let observation = Observation(
      health: .healthy, revision: revision,
      message: "revision \(revision) serving on port \(proxy.port) (pid \(handle.pid), proxy pid \(proxy.pid))",
      attributes: attributes)
    return Reading(name: service.name, observation: observation, probePort: handle.port)
  }
}

extension LocalTargetProvider {
  public func observe(_ request: ObserveRequest) async throws -> ObserveResponse {
    await LocalObservation(provider: self).run(request)
  }
}
