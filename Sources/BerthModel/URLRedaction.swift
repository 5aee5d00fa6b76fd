import Foundation

/// URLs as they may be shown: in messages, logs and state.
public enum URLRedaction {
  /// `url` with any password replaced by `****` (`postgres://u:****@h/db`); unchanged when it has none.
  public static func redacted(_ url: String) -> String {
    guard var components = URLComponents(string: url), components.password != nil else { return url }
    components.password = "****"
    return components.string ?? url
  }
}
