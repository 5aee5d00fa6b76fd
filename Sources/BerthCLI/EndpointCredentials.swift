import ArgumentParser
import BerthGateway
import BerthModel
import BerthState
import Foundation

/// Where the credentials of an applied endpoint (or of a service with its own gateway) are, from recorded state.
///
/// The keys themselves are never in state: the record names the gateway folder, and the 0600 files there hold them.
struct EndpointCredentials {
  var address: ResourceAddress
  var record: ResourceRecord
  var folder: String
  var authMode: AuthMode
  var scoringURI: String?

  var keysFile: String { folder + "/keys.json" }

  /// The name the gateway serves under (tokens are bound to it): its definition's, which stays a service's first
  /// name after a rename until the next rollout.
  var gatewayName: String {
    guard let data = FileManager.default.contents(atPath: folder + "/endpoint.json"),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let name = object["name"] as? String
    else { return address.name }
    return name
  }
  var signingKeyFile: String { folder + "/token.key" }

  /// The endpoint `name`, else the service `name`, as recorded; an error naming what exists otherwise.
  static func find(_ name: String, in state: StateSnapshot) throws -> EndpointCredentials {
    let candidates = [ResourceAddress(.endpoint, name), ResourceAddress(.service, name)]
    guard let record = candidates.lazy.compactMap({ state.resources[$0] }).first else {
      let known = state.resources.keys.filter { $0.kind == .endpoint || $0.kind == .service }.map(\.name)
      let guess = Suggestion.didYouMean(name, in: known).map { " (\($0))" } ?? ""
      throw ValidationError("no endpoint or service '\(name)' has been applied\(guess)")
    }
    guard case .string(let folder)? = record.outputs["gateway_folder"] else {
      throw ValidationError(
        "\(record.address) has no gateway of its own (it is behind an endpoint, or runs on a target without a gateway); ask its endpoint"
      )
    }
    var mode = AuthMode.none
    if case .string(let text)? = record.outputs["auth_mode"], let parsed = AuthMode(rawValue: text) { mode = parsed }
    var uri: String?
    if case .string(let text)? = record.outputs["scoring_uri"] { uri = text }
    return EndpointCredentials(address: record.address, record: record, folder: folder, authMode: mode, scoringURI: uri)
  }

  /// The `Authorization` header value a client sends: the primary key, or a fresh token; nil without auth.
  func authorization() throws -> String? {
    switch authMode {
    case .key: return "Bearer " + (try SecretFiles.readKeys(keysFile)).primaryKey
    case .amlToken:
      let key = try SecretFiles.readSigningKey(signingKeyFile)
      return "Bearer " + AccessToken.issue(endpoint: gatewayName, signingKey: key, now: Date(), lifetime: 3600).text
    case .none: return nil
    }
  }

  /// The fingerprint of the credentials as they are now (what `drift` compares with state).
  var fingerprint: String? { SecretFingerprint.read(mode: authMode, keysFile: keysFile, signingKeyFile: signingKeyFile) }
}
