import Foundation
import Yams

/// A parsed conda environment file (`name`, `channels`, `dependencies` with an optional `pip:` list).
public struct CondaEnvironmentFile: Sendable, Hashable {
  /// The environment name, if given.
  public var name: String?
  /// Channels in file order.
  public var channels: [String]
  /// Conda dependency strings in file order (`python=3.9`, `numpy=1.26.4`, `pip`).
  public var condaDependencies: [String]
  /// Lines of the `pip:` list in file order.
  public var pipDependencies: [String]
  /// Problems noticed while reading that do not stop parsing.
  public var warnings: [String]
  /// `file:line:col` of each conda dependency, parallel to `condaDependencies` (empty when not parsed from a file).
  public var condaDependencyLocations: [String] = []
  /// `file:line:col` of each pip line, parallel to `pipDependencies` (empty when not parsed from a file).
  public var pipDependencyLocations: [String] = []
  /// The file's raw text, for solvers that read the file themselves (`solver: conda`).
  public var text: String?

  /// Creates a file value directly.
  public init(
    name: String? = nil, channels: [String] = [], condaDependencies: [String] = [], pipDependencies: [String] = [],
    warnings: [String] = []
  ) {
    self.name = name
    self.channels = channels
    self.condaDependencies = condaDependencies
    self.pipDependencies = pipDependencies
    self.warnings = warnings
  }

  /// Reads and parses the conda file at `path`.
  public static func load(path: String) throws -> CondaEnvironmentFile {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw CondaFileError("Cannot read conda file '\(path)': \(error.localizedDescription)")
    }
    return try parse(text, source: path)
  }

  /// Parses conda environment YAML; `source` names the file in error messages.
  public static func parse(_ yaml: String, source: String = "conda file") throws -> CondaEnvironmentFile {
    let root: Node?
    do {
      root = try Yams.compose(yaml: yaml)
    } catch {
      throw CondaFileError("\(source) is not valid YAML: \(error)")
    }
    guard let root, let mapping = root.mapping else {
      throw CondaFileError("\(source) must be a YAML mapping with 'name', 'channels' and 'dependencies'.")
    }
    var file = CondaEnvironmentFile()
    file.text = yaml
    file.name = mapping["name"]?.string
    file.channels = try stringList(mapping["channels"], key: "channels", source: source)
    guard let dependencies = mapping["dependencies"] else { return file }
    guard let entries = dependencies.sequence else {
      throw CondaFileError("\(source)\(at(dependencies)): 'dependencies' must be a list, e.g. '- numpy=1.26.4'.")
    }
    for entry in entries {
      if let text = entry.scalar?.string {
        file.condaDependencies.append(text)
        file.condaDependencyLocations.append(location(source, entry))
      } else if let nested = entry.mapping {
        for (key, value) in nested {
          guard key.string == "pip" else {
            file.warnings.append("\(location(source, key)): ignored unknown dependency section '\(key.string ?? "?")'.")
            continue
          }
          file.pipDependencies += try stringList(value, key: "pip", source: source)
          file.pipDependencyLocations += value.sequence.map { $0.map { location(source, $0) } } ?? []
        }
      } else {
        throw CondaFileError("\(source)\(at(entry)): each dependency must be a string or a 'pip:' list.")
      }
    }
    return file
  }

  private static func stringList(_ node: Node?, key: String, source: String) throws -> [String] {
    guard let node else { return [] }
    if case .scalar(let scalar) = node, scalar.string.isEmpty || scalar.string == "~" { return [] }
    guard let sequence = node.sequence else {
      throw CondaFileError("\(source)\(at(node)): '\(key)' must be a list of strings.")
    }
    return try sequence.map { item in
      guard let text = item.scalar?.string else {
        throw CondaFileError("\(source)\(at(item)): entries of '\(key)' must be strings.")
      }
      return text
    }
  }

  private static func at(_ node: Node) -> String {
    node.mark.map { ":\($0.line)" } ?? ""
  }

  private static func location(_ source: String, _ node: Node) -> String {
    node.mark.map { "\(source):\($0.line):\($0.column)" } ?? source
  }

  /// `file:line:col: ` of conda dependency `index`, or empty when unknown.
  func condaPrefix(_ index: Int) -> String {
    index < condaDependencyLocations.count ? condaDependencyLocations[index] + ": " : ""
  }

  /// `file:line:col: ` of pip line `index`, or empty when unknown.
  func pipPrefix(_ index: Int) -> String {
    index < pipDependencyLocations.count ? pipDependencyLocations[index] + ": " : ""
  }
}
