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
    let readings = request.services.map { read($0) }
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
    var endpoints: [String: Observation] = [:]
    for endpoint in request.endpoints { endpoints[endpoint.name] = read(endpoint: endpoint) }
    return ObserveResponse(services: services, endpoints: endpoints, backendCalls: probed.count)
  }

  private func read(_ service: ObservedService) -> Reading {
    let layout = provider.layout(of: service.instance)
    func missing(_ message: String, revision: String? = nil) -> Reading {
      Reading(name: service.name, observation: Observation(health: .missing, revision: revision, message: message))
    }
    guard FileManager.default.fileExists(atPath: layout.root) else {
      return missing("no runtime folder \(layout.root)")
    }
    let endpoint = service.recordedOutputs.string("endpoint")
    let host = endpoint.map(provider.endpointHost) ?? provider.serviceHost(layout)
    let owner = endpoint.map { "endpoint '\($0)'" } ?? "the service"
    guard let definition = host.definition() else { return missing("the gateway of \(owner) was never set up") }
    // An endpoint's gateway is the endpoint's to observe: its deployments are not redeployed because it stopped.
    let gateway = host.runningProcess()
    if endpoint == nil, gateway == nil { return missing("the gateway of \(owner) is not running") }
    // A service's own gateway has one deployment, registered under the name the service had when it was deployed
    // (a rename moves the record, not what runs).
    let entries = host.deployments()
    guard let entry = entries.first(where: { $0.name == service.name }) ?? (endpoint == nil ? entries.first : nil),
      let upstream = entry.upstreams.first.flatMap({ $0.split(separator: ":").last }).flatMap({ Int($0) })
    else {
      return missing("not registered with the gateway of \(owner)")
    }
    let serving = layout.revisionNames().lazy.compactMap { name -> (String, ScoringProcessHandle)? in
      guard let handle = layout.revision(name).readServerRecord(), handle.port == upstream else { return nil }
      return (name, handle)
    }.first
    guard let (revision, handle) = serving else {
      return missing("no revision listens on the routed internal port \(upstream)")
    }
    guard ProcessLiveness.isAlive(pid: handle.pid, startTime: handle.startTime) else {
      return missing("process \(handle.pid) is not running", revision: revision)
    }
    let attributes = LocalServiceOutputs.attributes(
      instance: service.instance, revision: revision, handle: handle, modelDirectory: nil, endpoint: endpoint,
      definition: definition, host: host, gatewayPid: gateway?.pid)
    let observation = Observation(
      health: .healthy, revision: revision,
      message:
        "revision \(revision) serving on \(definition.scoringURI) (pid \(handle.pid)\(gateway.map { ", gateway pid \($0.pid)" } ?? ""))",
      attributes: attributes)
    return Reading(name: service.name, observation: observation, probePort: handle.port)
  }

  /// An endpoint is healthy when its gateway runs and listens where it was published.
  private func read(endpoint: ObservedService) -> Observation {
    let host = provider.endpointHost(endpoint.name)
    guard let definition = host.definition() else {
      return Observation(health: .missing, message: "no gateway folder \(host.layout.root)")
    }
    guard let process = host.runningProcess(), let listening = host.listening(process) else {
      return Observation(health: .missing, message: "the gateway of endpoint '\(endpoint.name)' is not running")
    }
    var attributes: Attributes = [
      "port": .int(listening.port), "gateway_pid": .int(Int(process.pid)),
      "scoring_uri": .string(definition.scoringURI), "auth_mode": .string(definition.authMode.rawValue),
    ]
    if let fingerprint = host.layout.fingerprint(definition.authMode) {
      attributes["key_fingerprint"] = .string(fingerprint)
    }
    return Observation(
      health: .healthy,
      message: "gateway pid \(process.pid) on \(listening.address):\(listening.port), \(host.deployments().count) deployment(s)",
      attributes: attributes)
  }
}

extension LocalTargetProvider {
  public func observe(_ request: ObserveRequest) async throws -> ObserveResponse {
    await LocalObservation(provider: self).run(request)
  }
}
