import Crypto
import Foundation

/// A short digest of an endpoint's secrets, recorded in state so `drift` sees keys changed outside Berth.
///
/// 16 hex digits of SHA-256 over the secret material: it tells two secrets apart and reveals nothing of them
/// (the keys are 256 random bits).
public enum SecretFingerprint {
  /// The fingerprint of the secret `mode` uses; nil for `none` or when the file cannot be read.
  public static func read(mode: AuthMode, keysFile: String, signingKeyFile: String) -> String? {
    switch mode {
    case .key:
      guard let keys = try? SecretFiles.readKeys(keysFile) else { return nil }
      return of("key\u{0}" + keys.primaryKey + "\u{0}" + keys.secondaryKey)
    case .amlToken:
      guard let data = FileManager.default.contents(atPath: signingKeyFile) else { return nil }
      return of("aml_token\u{0}" + String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    case .none:
      return nil
    }
  }

  /// The fingerprint of `keys` (key mode), as `read` computes it from the keys file.
  public static func of(keys: EndpointKeys) -> String {
    of("key\u{0}" + keys.primaryKey + "\u{0}" + keys.secondaryKey)
  }

  /// The fingerprint of a token signing key's text (aml_token mode).
  public static func of(signingKey text: String) -> String {
    of("aml_token\u{0}" + text.trimmingCharacters(in: .whitespacesAndNewlines))
  }

  private static func of(_ text: String) -> String {
    SHA256.hash(data: Data(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
  }
}
