/// Recognises values that must never be shown or stored in clear: secrets written where they should not be.
///
/// Only free-form maps can hold such values (`environment_variables.*`, `properties.*`); within them a key
/// naming a secret (`API_TOKEN`, `db_password`) marks its value sensitive.
public enum Sensitivity {
  private static let markers = ["secret", "token", "password", "passwd", "credential", "apikey", "api_key", "private_key"]
  private static let freeFormMaps = ["environment_variables.", "properties.", "deployment.environment_variables."]

  /// Whether a field path names something secret (`environment_variables.API_TOKEN`).
  public static func isSensitive(_ path: String) -> Bool {
    guard freeFormMaps.contains(where: { path.hasPrefix($0) }) else { return false }
    let last = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
    return markers.contains { last.contains($0) }
  }

  /// The text shown instead of a sensitive value.
  public static let mask = "(sensitive)"
}
