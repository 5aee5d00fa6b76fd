import BerthModel
import Crypto
import Foundation

/// `sha256:<hex>` digests as OCI writes them.
public enum Digest {
  /// The digest of `data`.
  public static func sha256(_ data: Data) -> String {
    "sha256:" + Hex.encode(SHA256.hash(data: data))
  }

  /// The digest of a UTF-8 string.
  public static func sha256(_ text: String) -> String { sha256(Data(text.utf8)) }

  /// The hex part of `sha256:<hex>`.
  public static func encoded(_ digest: String) -> String {
    digest.split(separator: ":", maxSplits: 1).last.map(String.init) ?? digest
  }

  /// The digest of a file's bytes, read in chunks.
  public static func sha256(ofFile path: String) throws -> String {
    guard let handle = FileHandle(forReadingAtPath: path) else { throw ImageBuildError("cannot read '\(path)'") }
    defer { try? handle.close() }
    var hasher = SHA256()
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
    return "sha256:" + Hex.encode(hasher.finalize())
  }
}

/// A running SHA-256 that also counts bytes.
struct DigestCounter {
  private var hasher = SHA256()
  private(set) var count = 0

  mutating func update(_ data: Data) {
    hasher.update(data: data)
    count += data.count
  }

  func finalize() -> String { "sha256:" + Hex.encode(hasher.finalize()) }
}
