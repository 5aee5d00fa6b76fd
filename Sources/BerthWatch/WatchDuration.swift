import Foundation

/// Durations as operators write them in flags and unit files: `30s`, `5m`, `1h`, `1h30m`, `500ms`, `1.5s`.
public enum WatchDuration {
  private static let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]

  /// Seconds, or nil when `text` is not one or more `NUMBER UNIT` groups (units `ms`, `s`, `m`, `h`).
  public static func parse(_ text: String) -> TimeInterval? {
    var rest = Substring(text.trimmingCharacters(in: .whitespaces))
    guard !rest.isEmpty else { return nil }
    var total: Double = 0
    while !rest.isEmpty {
      let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
      guard !number.isEmpty, let value = Double(number) else { return nil }
      rest = rest.dropFirst(number.count)
      let unit = rest.prefix { $0.isASCII && $0.isLetter }
      guard let factor = units.first(where: { $0.suffix == unit })?.seconds else { return nil }
      rest = rest.dropFirst(unit.count)
      total += value * factor
    }
    return total.isFinite ? total : nil
  }

  /// The shortest exact spelling, for messages: `90` → `1m30s`, `0.5` → `500ms`.
  public static func format(_ seconds: TimeInterval) -> String {
    let milliseconds = Int((seconds * 1000).rounded())
    guard milliseconds % 1000 == 0 else { return "\(milliseconds)ms" }
    var left = milliseconds / 1000
    guard left > 0 else { return "0s" }
    var text = ""
    for (suffix, size) in [("h", 3600), ("m", 60), ("s", 1)] where left >= size {
      text += "\(left / size)\(suffix)"
      left %= size
    }
    return text
  }
}
