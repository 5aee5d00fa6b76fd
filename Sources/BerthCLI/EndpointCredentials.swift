import ArgumentParser
import BerthGateway
import BerthKit
import BerthModel
import BerthState
import BerthTargetAPI
import Foundation

/// Where the credentials of an applied endpoint (or of a service with its own gateway) are, from recorded state.
///
/// The keys themselves are never in state: on `local` the record names the gateway folder, and the 0600 files there
/// hold them; on `kubernetes` they are in the endpoint's Secret, read through the provider (`EndpointSecretStoring`).
struct EndpointCredentials {
  var address: ResourceAddress
  var record: ResourceRecord
  /// The local gateway folder; nil when the target keeps the secrets.
  var folder: String?
  /// The provider that keeps the secrets, when not on this machine.
  var remote: (any EndpointSecretStoring)?
  var authMode: AuthMode
  var scoringURI: String?

  var keysFile: String { (folder ?? "") + "/keys.json" }
  var signingKeyFile: String { (folder ?? "") + "/token.key" }

  /// The name the gateway serves under (tokens are bound to it): its definition's, which stays a service's first
  /// name after a rename until the next rollout.
  var gatewayName: String {
    guard let folder, let data = FileManager.default.contents(atPath: folder + "/endpoint.json"),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let name = object["name"] as? String
    else { return secretsName }
    return name
  }

  /// The endpoint `name`, else the service `name`, as recorded; an error naming what exists otherwise.
  static func find(_ name: String, in state: StateSnapshot, targets: Targets? = nil) throws -> EndpointCredentials {
    let candidates = [ResourceAddress(.endpoint, name), ResourceAddress(.service, name)]
    guard let record = candidates.lazy.compactMap({ state.resources[$0] }).first else {
      let known = state.resources.keys.filter { $0.kind == .endpoint || $0.kind == .service }.map(\.name)
      let guess = Suggestion.didYouMean(name, in: known).map { " (\($0))" } ?? ""
      throw ValidationError("no endpoint or service '\(name)' has been applied\(guess)")
    }
    var mode = AuthMode.none
    if case .string(let text)? = record.outputs["auth_mode"], let parsed = AuthMode(rawValue: text) { mode = parsed }
    var uri: String?
    if case .string(let text)? = record.outputs["scoring_uri"] { uri = text }
    if case .string(let folder)? = record.outputs["gateway_folder"] {
      return EndpointCredentials(
        address: record.address, record: record, folder: folder, remote: nil, authMode: mode, scoringURI: uri)
    }
    let ownGateway = record.outputs["gateway_endpoint"] != nil
    if record.address.kind == .endpoint || ownGateway, let type = computeType(of: record, in: state),
      let store = targets?.providers[type] as? any EndpointSecretStoring
    {
      return EndpointCredentials(
        address: record.address, record: record, folder: nil, remote: store, authMode: mode, scoringURI: uri)
    }
    throw ValidationError(
      "\(record.address) has no gateway of its own (it is behind an endpoint, or runs on a target without a gateway); ask its endpoint"
    )
  }

  /// The type of the compute target an endpoint record was applied to.
  static func computeType(of record: ResourceRecord, in state: StateSnapshot) -> ComputeType? {
    guard case .string(let target)? = record.attributes["compute_target"],
      case .string(let type)? = state.resources[ResourceAddress(.computeTarget, target)]?.attributes["type"]
    else { return nil }
    return ComputeType(rawValue: type)
  }

  /// The name the target keeps the secrets under: the endpoint's, or a service's own gateway's.
  var secretsName: String {
    if case .string(let name)? = record.outputs["gateway_endpoint"] { return name }
    return address.name
  }

  /// The keys or signing key as they are now, and their fingerprint (what `drift` compares with state).
  func material() async throws -> EndpointSecretMaterial {
    if let remote { return try await remote.endpointSecrets(name: secretsName, recorded: record.outputs) }
    switch authMode {
    case .key:
      let keys = try SecretFiles.readKeys(keysFile)
      return EndpointSecretMaterial(
        primaryKey: keys.primaryKey, secondaryKey: keys.secondaryKey, fingerprint: fingerprint)
    case .amlToken:
      let text = String(decoding: FileManager.default.contents(atPath: signingKeyFile) ?? Data(), as: UTF8.self)
      _ = try SecretFiles.readSigningKey(signingKeyFile)
      return EndpointSecretMaterial(
        signingKey: text.trimmingCharacters(in: .whitespacesAndNewlines), fingerprint: fingerprint)
    case .none:
      return EndpointSecretMaterial()
    }
  }

  /// The `Authorization` header value a client sends: the primary key, or a fresh token; nil without auth.
  func authorization() async throws -> String? {
    switch authMode {
    case .key:
      guard let key = try await material().primaryKey else { throw ValidationError("\(address) has no primary key") }
      return "Bearer " + key
    case .amlToken:
      return "Bearer " + (try await token()).text
    case .none: return nil
    }
  }

  /// A fresh token, signed with the endpoint's signing key.
  func token(now: Date = Date()) async throws -> AccessToken {
    guard let text = try await material().signingKey, let key = SecretFiles.signingKey(text: text) else {
      throw ValidationError("\(address) has no token signing key")
    }
    return AccessToken.issue(endpoint: gatewayName, signingKey: key, now: now, lifetime: 3600)
  }

  /// The fingerprint of the local credentials as they are now.
  var fingerprint: String? { SecretFingerprint.read(mode: authMode, keysFile: keysFile, signingKeyFile: signingKeyFile) }
}
