import Foundation

/// Golden files: compares text with a file; `RECORD_SNAPSHOTS=1` rewrites the file instead.
public enum SnapshotFile {
  /// nil when `actual` matches the file; otherwise what is wrong. A missing file is recorded and reported once.
  public static func mismatch(_ actual: String, file path: URL) -> String? {
    let recording = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1"
    if recording || !FileManager.default.fileExists(atPath: path.path) {
      do {
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try actual.write(to: path, atomically: true, encoding: .utf8)
      } catch {
        return "cannot write snapshot \(path.path): \(error)"
      }
      return recording ? nil : "recorded missing snapshot \(path.lastPathComponent); review and commit it"
    }
    guard let expected = try? String(contentsOf: path, encoding: .utf8) else { return "cannot read snapshot \(path.path)" }
    guard actual != expected else { return nil }
    return "snapshot \(path.path) differs (re-record with RECORD_SNAPSHOTS=1):\n" + firstDifference(expected, actual)
  }

  static func firstDifference(_ expected: String, _ actual: String) -> String {
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    for index in 0..<max(e.count, a.count) where index >= e.count || index >= a.count || e[index] != a[index] {
      return
        "line \(index + 1):\n- \(index < e.count ? String(e[index]) : "(end)")\n+ \(index < a.count ? String(a[index]) : "(end)")"
    }
    return ""
  }
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
