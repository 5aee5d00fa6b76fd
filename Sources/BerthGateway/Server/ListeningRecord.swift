import Crypto
import Foundation

/// What the gateway writes to `listening_file`: where it listens, its pid, and which configuration it serves.
///
/// Written (0600, atomically) once the socket accepts connections, and again after every reload that took
/// effect, so whoever rewrote the configuration knows when the gateway follows it: `configurationSHA256` is the
/// SHA-256 of the configuration file's bytes as loaded.
public struct ListeningRecord: Codable, Sendable, Hashable {
  public var address: String
  public var port: Int
  public var pid: Int32
  /// Hex SHA-256 of the configuration file the gateway serves now; nil for a configuration given in process.
  public var configurationSHA256: String?

  public init(address: String, port: Int, pid: Int32, configurationSHA256: String?) {
    self.address = address
    self.port = port
    self.pid = pid
    self.configurationSHA256 = configurationSHA256
  }

  enum CodingKeys: String, CodingKey {
    case address, port, pid
    case configurationSHA256 = "configuration_sha256"
  }

  /// Reads a listening file; nil when it is missing or not a record.
  public static func read(_ path: String) -> ListeningRecord? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return try? JSONDecoder().decode(ListeningRecord.self, from: data)
  }

  /// Writes the record owner-only and atomically.
  func write(to path: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    try SecretFiles.writePrivate(try encoder.encode(self), to: path)
  }

  /// The digest `configurationSHA256` holds for configuration bytes `data`.
  public static func digest(of data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
  }
}
