import Crypto
import Foundation

/// The primary and secondary keys of an endpoint, read from their 0600 file.
///
/// Two keys so one can be regenerated while clients still use the other. The file is JSON
/// (`{"primary_key": …, "secondary_key": …}`, Azure ML's names) and is never logged or echoed.
public struct EndpointKeys: Codable, Sendable, Hashable {
  /// The primary key.
  public var primaryKey: String
  /// The secondary key.
  public var secondaryKey: String

  /// Creates a pair.
  public init(primaryKey: String, secondaryKey: String) {
    self.primaryKey = primaryKey
    self.secondaryKey = secondaryKey
  }

  enum CodingKeys: String, CodingKey {
    case primaryKey = "primary_key"
    case secondaryKey = "secondary_key"
  }

  /// A fresh pair, each key 256 bits from the system CSPRNG.
  public static func generate() -> EndpointKeys {
    EndpointKeys(primaryKey: generateKey(), secondaryKey: generateKey())
  }

  /// One key: 32 random bytes (`SystemRandomNumberGenerator` reads the kernel's CSPRNG), base64url without padding.
  public static func generateKey() -> String {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    return Base64URL.encode(Data(bytes))
  }

  /// Whether `presented` is one of the two keys, in time that does not depend on where they differ.
  ///
  /// Both sides are hashed first so lengths leak nothing, and both keys are always compared.
  public func accepts(_ presented: String) -> Bool {
    let digest = SHA256.hash(data: Data(presented.utf8))
    let primary = SHA256.hash(data: Data(primaryKey.utf8))
    let secondary = SHA256.hash(data: Data(secondaryKey.utf8))
    let matchesPrimary = ConstantTime.equal(digest, primary) && !primaryKey.isEmpty
    let matchesSecondary = ConstantTime.equal(digest, secondary) && !secondaryKey.isEmpty
    return matchesPrimary || matchesSecondary
  }
}

/// Byte comparison whose duration depends only on the length.
enum ConstantTime {
  static func equal<A: Sequence<UInt8>, B: Sequence<UInt8>>(_ a: A, _ b: B) -> Bool {
    let left = Array(a)
    let right = Array(b)
    guard left.count == right.count else { return false }
    var difference: UInt8 = 0
    for index in left.indices { difference |= left[index] ^ right[index] }
    return difference == 0
  }
}

/// base64url without padding (RFC 4648 §5), the alphabet of keys and tokens.
enum Base64URL {
  static func encode(_ data: Data) -> String {
    data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
  }

  static func decode(_ text: Substring) -> Data? {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    return Data(base64Encoded: base64)
  }
}
