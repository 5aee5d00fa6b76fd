import Foundation
import Testing

/// Compares text with a golden file; `RECORD_SNAPSHOTS=1` rewrites the file instead.
public func expectSnapshot(_ actual: String, file path: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
  let recording = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1"
  if recording || !FileManager.default.fileExists(atPath: path.path) {
    try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
    try actual.write(to: path, atomically: true, encoding: .utf8)
    if !recording {
      Issue.record("recorded missing snapshot \(path.lastPathComponent); review and commit it", sourceLocation: sourceLocation)
    }
    return
  }
  let expected = try String(contentsOf: path, encoding: .utf8)
  #expect(actual == expected, "snapshot \(path.path) differs (re-record with RECORD_SNAPSHOTS=1)", sourceLocation: sourceLocation)
}

/// Folders of the repository that tests read.
public enum RepositoryPaths {
  public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  public static let examples = root.appendingPathComponent("manifests/examples")

  /// Sorted names of the folders directly inside `url`.
  public static func subfolders(of url: URL) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    return names.filter { name in
      var isDirectory: ObjCBool = false
      return FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path, isDirectory: &isDirectory)
        && isDirectory.boolValue
    }.sorted()
  }
}
