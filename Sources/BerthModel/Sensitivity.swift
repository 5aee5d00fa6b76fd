/// Recognises values that must never be shown or stored in clear: secrets written where they should not be.
public enum Sensitivity {
  private static let markers = ["secret", "token", "password", "passwd", "credential", "apikey", "api_key", "private_key"]

  /// Whether a field path names something secret (`environment_variables.API_TOKEN`).
  public static func isSensitive(_ path: String) -> Bool {
    let last = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
    return markers.contains { last.contains($0) }
  }

  /// The text shown instead of a sensitive value.
  public static let mask = "(sensitive)"
}
