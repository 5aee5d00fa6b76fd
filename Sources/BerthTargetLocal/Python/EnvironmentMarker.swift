import BerthPythonSpec
import Foundation

/// The record written into a finished environment; its presence means "complete".
public struct EnvironmentMarker: Sendable, Hashable, Codable {
  /// The file name of the marker inside the environment root.
  public static let fileName = "berth-environment.json"

  /// Format version of this record.
  public var format: Int = 1
  /// The content hash the environment was built for.
  public var hash: String
  /// The spec it was built from.
  public var spec: PythonEnvironmentSpec
  /// The base interpreter's real path.
  public var interpreterPath: String
  /// The base interpreter's exact version.
  public var interpreterVersion: String
  /// The platform, e.g. `linux-x86_64`.
  public var platform: String
  /// The installer used, e.g. `uv 0.5.1` or `pip`.
  public var installer: String
  /// `name==version` of every installed distribution.
  public var installedPackages: [String]
  /// When the build finished.
  public var builtAt: Date
  /// How long installing took, in seconds.
  public var buildSeconds: Double
  /// The bounds the era rule added, one line each with its reason (empty when none).
  public var resolution: [String]? = nil

  /// Reads the marker of the environment at `root`, or `nil` when absent or unreadable.
  public static func read(root: String) -> EnvironmentMarker? {
    guard let data = FileManager.default.contents(atPath: root + "/" + fileName) else { return nil }
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return try? decoder.decode(EnvironmentMarker.self, from: data)
  }

  /// Writes the marker into `root`.
  func write(root: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    try encoder.encode(self).write(to: URL(fileURLWithPath: root + "/" + Self.fileName), options: .atomic)
  }
}
