import BerthModel
import BerthTargetAPI
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks of a local service that need this machine: privileged ports and ports taken by other programs.
struct LocalValidation: Sendable {
  let provider: LocalTargetProvider

  /// What the checks need to know about this machine, gathered once.
  struct PortFacts: Sendable, Hashable {
    /// The service's configured public port.
    var port: Int
    /// Whether Berth runs as root (may bind ports below 1024).
    var isRoot: Bool
    /// Whether this service's own live gateway already listens there.
    var isOwnGateway: Bool
    /// Whether the port can be bound right now.
    var isFree: Bool
  }

  func run(_ request: ValidateRequest) -> [Diagnostic] {
    guard case .service(let spec) = request.service.spec, let port = spec.int("port") else { return [] }
    // A renamed service's gateway still runs under its first name (its instance) until it is deleted.
    let recordedInstance = ServiceInstance.name(service: request.service.address.name, outputs: request.recordedOutputs)
    let isOwnGateway = ([recordedInstance, request.service.address.name] + request.service.previousNames).contains { name in
      let host = provider.serviceHost(provider.layout(of: name))
      return host.runningProcess().flatMap(host.listening)?.port == port
    }
    let facts = PortFacts(
      port: port, isRoot: geteuid() == 0, isOwnGateway: isOwnGateway, isFree: isOwnGateway || PortProbe.isFree(port: port))
    return Self.diagnostics(
      facts, service: request.service.address.name, at: request.service.location(of: "deployment.port"))
  }

  /// The warnings `facts` call for.
  static func diagnostics(_ facts: PortFacts, service: String, at location: SourceLocation?) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    let privileged = facts.port < 1024 && !facts.isRoot
    if privileged {
      diagnostics.append(
        .warning(
          "port \(facts.port) is below 1024: listening on it needs root (or CAP_NET_BIND_SERVICE) and Berth does not run as root",
          at: location, hint: "choose a port of 1024 or above, e.g. 8890"))
    }
    // Binding a privileged port fails for lack of rights, which says nothing about whether another program has it.
    if !facts.isOwnGateway, !facts.isFree, !privileged {
      diagnostics.append(
        .warning(
          "port \(facts.port) is in use by another program on this machine; deploying '\(service)' will fail until it is free",
          at: location, hint: "stop what listens on \(facts.port) or choose another port"))
    }
    return diagnostics
  }
}

extension LocalTargetProvider {
  public func validate(_ request: ValidateRequest) -> [Diagnostic] { LocalValidation(provider: self).run(request) }
}
