import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and writes the gateway's secret files: owner-only (0600), replaced atomically.
public enum SecretFiles {
  /// Why a secret file cannot be used; says which file, never what is in it.
  public struct Problem: Error, CustomStringConvertible, Sendable {
    /// The file.
    public var path: String
    /// What is wrong with it.
    public var reason: String

    public var description: String { "\(path): \(reason)" }
  }

  /// Reads the keys file; refuses one that others can read.
  public static func readKeys(_ path: String) throws -> EndpointKeys {
    let data = try readPrivate(path)
    guard let keys = try? JSONDecoder().decode(EndpointKeys.self, from: data) else {
      throw Problem(path: path, reason: "not a keys file (JSON with 'primary_key' and 'secondary_key')")
    }
    guard !keys.primaryKey.isEmpty || !keys.secondaryKey.isEmpty else {
      throw Problem(path: path, reason: "both keys are empty")
    }
    return keys
  }

  /// Reads the token signing key (base64url text, at least 32 bytes).
  public static func readSigningKey(_ path: String) throws -> SymmetricKey {
    let text = String(decoding: try readPrivate(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    guard let bytes = Base64URL.decode(Substring(text)), bytes.count >= 32 else {
      throw Problem(path: path, reason: "not a signing key (base64url, at least 32 bytes)")
    }
    return SymmetricKey(data: bytes)
  }

  /// A signing key from its text (base64url, at least 32 bytes), as a Kubernetes Secret holds it; nil otherwise.
  public static func signingKey(text: String) -> SymmetricKey? {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard let bytes = Base64URL.decode(Substring(trimmed)), bytes.count >= 32 else { return nil }
    return SymmetricKey(data: bytes)
  }

  /// Writes the keys file, owner-only, atomically.
  public static func writeKeys(_ keys: EndpointKeys, to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try writePrivate(try encoder.encode(keys), to: path)
  }

  /// Writes a fresh 256-bit signing key, owner-only, atomically.
  public static func writeNewSigningKey(to path: String) throws {
    try writePrivate(Data((EndpointKeys.generateKey() + "\n").utf8), to: path)
  }

  static func readPrivate(_ path: String) throws -> Data {
    var info = stat()
    guard stat(path, &info) == 0 else { throw Problem(path: path, reason: String(cString: strerror(errno))) }
    guard info.st_mode & 0o077 == 0 else {
      let mode = String(info.st_mode & 0o777, radix: 8)
      throw Problem(path: path, reason: "readable by others (mode \(mode)); run chmod 600 on it")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw Problem(path: path, reason: "cannot be read")
    }
    return data
  }

  /// Creates the temporary file 0600 before writing, so the secret is never briefly world-readable.
  static func writePrivate(_ data: Data, to path: String) throws {
    let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw Problem(path: path, reason: String(cString: strerror(errno))) }
    let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    guard written == data.count, rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw Problem(path: path, reason: reason)
    }
  }
}
