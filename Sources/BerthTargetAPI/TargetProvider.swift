import BerthModel

/// A compute target: checks deployment settings, reads what runs, and changes it.
///
/// Implementations live in their own modules (`BerthTargetLocal`, …); only `BerthKit` knows them.
public protocol TargetProvider: Sendable {
  /// The compute target type this provider serves.
  var type: ComputeType { get }

  /// Target-specific checks of a service before anything is built; no IO beyond reading local files.
  func validate(_ request: ValidateRequest) -> [Diagnostic]

  /// Reads many services at once (list by label, not get by name). Read-only.
  func observe(_ request: ObserveRequest) async throws -> ObserveResponse

  /// Provisions a compute target or deploys, updates, replaces or deletes one service.
  func apply(_ request: ApplyRequest) async throws -> ApplyResponse
}

/// An error from a provider, saying whether trying again could help.
public struct TargetError: Error, Hashable, Sendable, CustomStringConvertible {
  public var message: String
  public var isRetryable: Bool
  /// The last lines of the service's log when a start failed, shown under the failed action.
  public var logTail: [String]

  public init(_ message: String, isRetryable: Bool = false, logTail: [String] = []) {
    self.message = message
    self.isRetryable = isRetryable
    self.logTail = logTail
  }

  public var description: String { message }
}

/// The secrets of an endpoint as its target holds them (never recorded: only `fingerprint` goes to state).
public struct EndpointSecretMaterial: Sendable {
  public var primaryKey: String?
  public var secondaryKey: String?
  /// The token signing key (base64url text), for `aml_token` endpoints.
  public var signingKey: String?
  /// What state records to notice a change made outside Berth.
  public var fingerprint: String?

  public init(primaryKey: String? = nil, secondaryKey: String? = nil, signingKey: String? = nil, fingerprint: String? = nil) {
    self.primaryKey = primaryKey
    self.secondaryKey = secondaryKey
    self.signingKey = signingKey
    self.fingerprint = fingerprint
  }
}

/// A provider whose endpoints keep their keys in the target (a Kubernetes Secret), not in files on this machine:
/// `berth endpoints get-credentials`, `regenerate-keys` and `invoke` go through it.
public protocol EndpointSecretStoring: Sendable {
  /// The endpoint's keys or signing key, read from where the target keeps them; `recorded` are its recorded outputs.
  func endpointSecrets(name: String, recorded: Attributes) async throws -> EndpointSecretMaterial
  /// Replaces the `primary` or `secondary` key, or the `signing` key; returns the new material.
  func regenerateEndpointKey(name: String, recorded: Attributes, keyType: String) async throws -> EndpointSecretMaterial
}
