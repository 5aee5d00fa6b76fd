import Crypto
import Foundation

/// IoT Hub shared access signatures: `SharedAccessSignature sr=…&sig=…&se=…&skn=…`.
///
/// The signature is HMAC-SHA256, keyed with the base64-decoded policy key, over the URL-encoded resource, a
/// newline and the expiry in seconds since the epoch; it is sent base64 and URL-encoded.
public enum SASToken {
  /// The token for `resource` (the hub's host name) valid until `expiry` (seconds since 1970).
  public static func make(resource: String, key: String, policyName: String, expiry: Int) throws -> String {
    guard let keyBytes = Data(base64Encoded: key) else {
      throw IoTEdgeError.configuration("the shared access key is not base64")
    }
    let encodedResource = urlEncoded(resource)
    let signature = HMAC<SHA256>.authenticationCode(
      for: Data("\(encodedResource)\n\(expiry)".utf8), using: SymmetricKey(data: keyBytes))
    let sig = urlEncoded(Data(signature).base64EncodedString())
    return "SharedAccessSignature sr=\(encodedResource)&sig=\(sig)&se=\(expiry)&skn=\(urlEncoded(policyName))"
  }

  /// Percent-encoding of everything but RFC 3986's unreserved characters (as `quote(s, safe="")`).
  public static func urlEncoded(_ text: String) -> String {
    var allowed = CharacterSet()
    allowed.insert(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
  }
}
