import Crypto
import Foundation

/// Checks that a `POST /hooks/git` comes from the git host: GitHub's `X-Hub-Signature-256: sha256=HMAC(secret, body)`
/// or GitLab's `X-Gitlab-Token: secret`, compared in constant time.
public struct WebhookVerifier: Sendable {
  private let secret: [UInt8]

  /// Nil for an empty secret: a webhook that anyone could call is not offered.
  public init?(secret: String) {
    guard !secret.isEmpty else { return nil }
    self.secret = Array(secret.utf8)
  }

  /// Whether the request carries a valid signature or token; `headers` have lowercased names.
  public func accepts(headers: [String: String], body: Data) -> Bool {
    if let signature = headers["x-hub-signature-256"] {
      guard signature.hasPrefix("sha256="), let given = Self.hexBytes(signature.dropFirst("sha256=".count)) else {
        return false
      }
      let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret))
      return Self.constantTimeEqual(Array(mac), given)
    }
    if let token = headers["x-gitlab-token"] {
      return Self.constantTimeEqual(Array(token.utf8), secret)
    }
    return false
  }

  /// Equal bytes, in a time that depends on the lengths only.
  static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(a.count == b.count ? 0 : 1)
    for index in 0..<max(a.count, b.count) {
      difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0xff)
    }
    return difference == 0
  }

  static func hexBytes(_ text: Substring) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0, digits.count <= 128 else { return nil }
    var bytes: [UInt8] = []
    var index = 0
    while index < digits.count {
      guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
      bytes.append(high << 4 | low)
      index += 2
    }
    return bytes
  }

  private static func nibble(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
  }
}
