import Foundation

/// A temporary folder for one test, removed when the value goes away.
public final class ScratchDirectory: @unchecked Sendable {
  public let path: String

  /// Creates `<tmp>/berth-<name>-<random>`.
  public init(_ name: String) throws {
    path = NSTemporaryDirectory() + "berth-\(name)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  /// Writes `text` to `relative` under the folder, making the folders it needs.
  public func write(_ relative: String, _ text: String) throws {
    let full = path + "/" + relative
    try FileManager.default.createDirectory(
      atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: full, atomically: true, encoding: .utf8)
  }

  deinit {
    // Registered models are read-only; make them writable so the folder can go.
    _ = try? Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "u+w", path]).waitUntilExit()
    try? FileManager.default.removeItem(atPath: path)
  }
}
