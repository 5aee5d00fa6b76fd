import Foundation

/// Package-name handling for pip requirement strings.
public enum RequirementName {
  /// The PEP 503 normalised name of a requirement line (`Scikit_Learn[x]>=1` → `scikit-learn`).
  ///
  /// Direct references without a leading name (`./pkg.whl`, `git+https://…`)
  /// return the whole line, so they only de-duplicate against themselves.
  public static func normalized(ofRequirement line: String) -> String {
    let name = line.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }
    guard !name.isEmpty, let first = name.first, first.isLetter || first.isNumber,
      !line.contains("://") || line.contains(" @ ")
    else { return line }
    return normalize(String(name))
  }

  /// Lowercases `name` and collapses runs of `-`, `_` and `.` into `-`.
  public static func normalize(_ name: String) -> String {
    var result = ""
    var lastWasSeparator = false
    for character in name.lowercased() {
      if character == "-" || character == "_" || character == "." {
        if !lastWasSeparator { result.append("-") }
        lastWasSeparator = true
      } else {
        result.append(character)
        lastWasSeparator = false
      }
    }
    return result
  }

  /// Trims, drops empties and duplicates, and sorts by normalised name then text.
  public static func sortedUnique(_ requirements: [String]) -> [String] {
    let trimmed = requirements.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    return Set(trimmed).sorted {
      let (left, right) = (normalized(ofRequirement: $0), normalized(ofRequirement: $1))
      return left == right ? $0 < $1 : left < right
    }
  }
}
