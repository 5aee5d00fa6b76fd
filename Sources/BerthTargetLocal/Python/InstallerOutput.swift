/// Reads installer output for hints about the kind of failure.
enum InstallerOutput {
  /// True when `lines` say the requirements cannot be satisfied (a user fix, not a retry).
  static func looksUnsatisfiable(_ lines: [String]) -> Bool {
    let text = lines.joined(separator: "\n").lowercased()
    let markers = [
      "no solution found", "resolutionimpossible", "no matching distribution", "could not find a version",
      "were not found in the package registry", "because there is no version",
    ]
    return markers.contains(where: text.contains)
  }

  /// True when `lines` suggest a network or index problem that a retry may fix.
  static func looksTransient(_ lines: [String]) -> Bool {
    if looksUnsatisfiable(lines) { return false }
    let text = lines.joined(separator: "\n").lowercased()
    let transient = [
      "timed out", "timeout", "connection", "temporary failure in name resolution", "network", "max retries",
      "failed to fetch", "http status server error", "503", "502",
    ]
    return transient.contains(where: text.contains)
  }
}
