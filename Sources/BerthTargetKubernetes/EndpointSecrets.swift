import BerthGateway
import BerthModel
import Foundation

/// The Secrets of an endpoint's gateway: its keys (or token signing key), and a TLS Secret made from PEM text.
///
/// Rendered apart from `EndpointRenderer` because they carry credentials: they are sent to the API server and
/// never printed, logged, recorded or shown by `berth render`.
public enum EndpointSecrets {
  /// The key of the keys Secret that holds the primary and secondary keys (JSON, as the gateway reads it).
  public static let keysEntry = "keys.json"
  /// The key that holds the token signing key.
  public static let signingKeyEntry = "token.key"

  /// The keys Secret of `endpoint` holding `keys` (key mode) and `signingKey` (aml_token mode; base64url text).
  public static func keys(endpoint: String, namespace: String, keys: EndpointKeys?, signingKey: String?) -> JSONValue {
    var data: [JSONValue.Member] = []
    if let keys {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      let json = (try? encoder.encode(keys)) ?? Data()
      data.append(.init(keysEntry, .string(json.base64EncodedString())))
    }
    if let signingKey { data.append(.init(signingKeyEntry, .string(Data((signingKey + "\n").utf8).base64EncodedString()))) }
    return .obj([
      "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
      "metadata": .obj([
        "name": .string(EndpointRenderer.keysName(endpoint)), "namespace": .string(namespace),
        "labels": .strings(EndpointRenderer.labels(endpoint)),
      ]),
      "data": .object(data),
    ])
  }

  /// The `kubernetes.io/tls` Secret made from PEM text.
  public static func tls(endpoint: String, namespace: String, certificate: String, privateKey: String) -> JSONValue {
    .obj([
      "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
      "metadata": .obj([
        "name": .string(EndpointRenderer.name(endpoint, "tls")), "namespace": .string(namespace),
        "labels": .strings(EndpointRenderer.labels(endpoint)),
      ]),
      "data": .obj([
        "tls.crt": .string(Data(certificate.utf8).base64EncodedString()),
        "tls.key": .string(Data(privateKey.utf8).base64EncodedString()),
      ]),
    ])
  }

  /// The keys held by a keys Secret read from the API server.
  public static func readKeys(_ secret: JSONValue) -> EndpointKeys? {
    guard let text = secret["data"]?[keysEntry]?.stringValue, let json = Data(base64Encoded: text) else { return nil }
    return try? JSONDecoder().decode(EndpointKeys.self, from: json)
  }

  /// The signing key held by a keys Secret read from the API server.
  public static func readSigningKey(_ secret: JSONValue) -> String? {
    guard let text = secret["data"]?[signingKeyEntry]?.stringValue, let bytes = Data(base64Encoded: text) else {
      return nil
    }
    return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
