import BerthModel
import BerthTargetAPI
import Foundation

/// What a provider's tests hand the conformance cases: the provider, where it deploys, and how to make and break things.
public struct ProviderSubject: Sendable {
  public var provider: any TargetProvider
  public var computeTargetName: String
  public var computeTarget: ComputeTargetSpec
  /// A working deployment of service `name`; generations 1 and 2 are different revisions of it.
  public var deployment: @Sendable (_ name: String, _ generation: Int) async throws -> ServiceDeployment
  /// A deployment of service `name` that must fail to start, and a text its error or log tail must contain.
  public var broken: @Sendable (_ name: String) async throws -> (ServiceDeployment, cause: String)
  /// Changes what runs for service `name` outside Berth (kills it, scales it, edits an object), given its outputs.
  public var injectDrift: @Sendable (_ name: String, _ outputs: Attributes) async throws -> Void

  public init(
    provider: any TargetProvider, computeTargetName: String, computeTarget: ComputeTargetSpec,
    deployment: @escaping @Sendable (String, Int) async throws -> ServiceDeployment,
    broken: @escaping @Sendable (String) async throws -> (ServiceDeployment, cause: String),
    injectDrift: @escaping @Sendable (String, Attributes) async throws -> Void
  ) {
    self.provider = provider
    self.computeTargetName = computeTargetName
    self.computeTarget = computeTarget
    self.deployment = deployment
    self.broken = broken
    self.injectDrift = injectDrift
  }
}

/// The lifecycle contract every target provider keeps; each new target runs it from its first commit.
///
/// A provider's tests run `@Test(arguments: ProviderConformance.allCases)` with a subject of their own (the fake in
/// memory, the local target with real processes, the Kubernetes target on its API double), like the state stores'
/// `StateConformance`. Each case provisions, works on services of its own name, and deletes them at its end.
public enum ProviderConformance: String, CaseIterable, Sendable {
  case deployedServiceIsObservedAsDesired
  case updateRollsOutTheNewRevision
  case reapplyingTheSameRevisionChangesNothing
  case driftIsObservedAndRepaired
  case deleteLeavesNothingRunning
  case failedDeployCarriesItsCause
  case serviceNeverDeployedIsNotHealthy

  /// The service name each case uses: distinct, so that a case's leftovers never satisfy another's checks.
  public var serviceName: String {
    "conf-"
      + String(rawValue.unicodeScalars.filter { CharacterSet.uppercaseLetters.contains($0) }.map(Character.init))
      .lowercased()
  }

  public func run(_ subject: ProviderSubject) async throws {
    let name = serviceName
    _ = try await subject.provider.apply(
      ApplyRequest(operation: .provision(name: subject.computeTargetName, subject.computeTarget)))
    let left = Outputs()
    do {
      try await body(subject, name, left)
    } catch {
      if let outputs = left.recorded { try? await Self.delete(subject, name, outputs) }
      throw error
    }
    if let outputs = left.recorded { try await Self.delete(subject, name, outputs) }
  }

  /// What a case left deployed, as Berth would have recorded it, for the delete at its end.
  private final class Outputs: @unchecked Sendable {
    var recorded: Attributes?
  }

  /// The case's steps; `left` says what is deployed at each point, so a failed check still cleans up.
  private func body(_ subject: ProviderSubject, _ name: String, _ left: Outputs) async throws {
    switch self {
    case .deployedServiceIsObservedAsDesired:
      let desired = try await subject.deployment(name, 1)
      let outputs = try await Self.apply(subject, .deploy(desired))
      left.recorded = outputs
      try Check.equal(outputs["revision"], .string(desired.revision), "recorded revision after deploy")
      try await Self.expectRunning(subject, name, desired.revision, outputs)
    case .updateRollsOutTheNewRevision:
      let first = try await Self.apply(subject, .deploy(try await subject.deployment(name, 1)))
      left.recorded = first
      var second = try await subject.deployment(name, 2)
      second.instance = ServiceInstance.name(service: name, outputs: first)
      try Check.that(second.revision != (try await subject.deployment(name, 1)).revision, "generations differ")
      let outputs = try await Self.apply(subject, .update(second, previous: first))
      left.recorded = outputs
      try Check.equal(outputs["revision"], .string(second.revision), "recorded revision after update")
      try await Self.expectRunning(subject, name, second.revision, outputs)
    case .reapplyingTheSameRevisionChangesNothing:
      let desired = try await subject.deployment(name, 1)
      let first = try await Self.apply(subject, .deploy(desired))
      left.recorded = first
      let again = try await Self.apply(subject, .update(desired, previous: first))
      left.recorded = again
      try Check.equal(again["revision"], first["revision"], "revision after re-applying the same deployment")
      try Check.equal(
        ServiceInstance.name(service: name, outputs: again), ServiceInstance.name(service: name, outputs: first), "instance")
      try await Self.expectRunning(subject, name, desired.revision, again)
    case .driftIsObservedAndRepaired:
      let desired = try await subject.deployment(name, 1)
      let outputs = try await Self.apply(subject, .deploy(desired))
      left.recorded = outputs
      try await subject.injectDrift(name, outputs)
      let drifted = try await Self.observe(subject, name, outputs)
      try Check.that(
        drifted == nil || drifted?.health != .healthy || drifted?.revision != desired.revision,
        "a service changed outside Berth must not be observed as desired; got \(String(describing: drifted))")
      let repaired = try await Self.apply(subject, .update(desired, previous: outputs))
      left.recorded = repaired
      try await Self.expectRunning(subject, name, desired.revision, repaired)
    case .deleteLeavesNothingRunning:
      let outputs = try await Self.apply(subject, .deploy(try await subject.deployment(name, 1)))
      left.recorded = outputs
      try await Self.delete(subject, name, outputs)
      left.recorded = nil
      let after = try await Self.observe(subject, name, outputs)
      try Check.that(after == nil || after?.health == .missing, "observed after delete: \(String(describing: after))")
      // Deleting what is already gone succeeds: an apply interrupted after its delete can run again.
      try await Self.delete(subject, name, outputs)
    case .failedDeployCarriesItsCause:
      let (broken, cause) = try await subject.broken(name)
      let error = try await Check.throwsError(TargetError.self, "deploying a broken service") {
        try await subject.provider.apply(ApplyRequest(operation: .deploy(broken)))
      }
      let told = ([error.message] + error.logTail).joined(separator: "\n")
      try Check.that(told.contains(cause), "the error should contain '\(cause)'; it said:\n\(told)")
      let after = try await Self.observe(subject, name, ["revision": .string(broken.revision)])
      try Check.that(after?.health != .healthy, "a failed deploy must not be observed healthy")
    case .serviceNeverDeployedIsNotHealthy:
      let observed = try await Self.observe(subject, name, ["revision": .string("rev-never-deployed")])
      try Check.that(observed == nil || observed?.health == .missing, "observed: \(String(describing: observed))")
    }
  }

  private static func apply(_ subject: ProviderSubject, _ operation: ApplyOperation) async throws -> Attributes {
    try await subject.provider.apply(ApplyRequest(operation: operation)).outputs
  }

  private static func delete(_ subject: ProviderSubject, _ name: String, _ outputs: Attributes) async throws {
    _ = try await subject.provider.apply(ApplyRequest(operation: .delete(name: name, previous: outputs)))
  }

  private static func observe(_ subject: ProviderSubject, _ name: String, _ outputs: Attributes) async throws -> Observation? {
    let response = try await subject.provider.observe(
      ObserveRequest(
        computeTargetName: subject.computeTargetName, computeTarget: subject.computeTarget,
        services: [ObservedService(name: name, recordedOutputs: outputs)]))
    return response.services[name]
  }

  private static func expectRunning(_ subject: ProviderSubject, _ name: String, _ revision: String, _ outputs: Attributes)
    async throws
  {
    let observed = try await observe(subject, name, outputs)
    try Check.equal(observed?.health, .healthy, "health of \(name) (\(observed?.message ?? "not observed"))")
    try Check.equal(observed?.revision, revision, "observed revision of \(name)")
  }
}
