import BerthModel
import Yams

/// Turns a Yams node into a `ManifestNode`, refusing what manifests do not allow instead of quietly applying it.
///
/// Yams substitutes every alias with its anchor's node, sharing it, so a billion-laughs file costs nothing until the
/// tree is walked. Here a node seen a second time is reported as an alias and never walked again, merge keys and
/// tags other than `!!str` are refused, and depth and node count are bounded by `ManifestLimits`.
struct NodeConversion {
  let file: String
  let text: String
  var diagnostics: [Diagnostic] = []
  private var definedAnchors: Set<ObjectIdentifier> = []
  private var aliasUses: [String: Int] = [:]
  private var reportedAnchors: Set<String> = []
  private static let aliasReportLimit = 20
  private var nodeCount = 0
  private var reportedLimit = false

  init(file: String, text: String) {
    self.file = file
    self.text = text
  }

  mutating func convert(_ node: Node, depth: Int = 1) -> ManifestNode {
    let location = location(of: node)
    if let use = aliasUse(of: node) {
      // One report per anchor, and a few per file: a billion-laughs file would otherwise print a line per alias.
      let name = node.anchor!.rawValue
      guard reportedAnchors.count < Self.aliasReportLimit, reportedAnchors.insert(name).inserted else {
        return ManifestNode(content: .scalar(.null, raw: ""), location: location, isRefused: true)
      }
      // Yams keeps no position for an alias: the n-th use of `*name` is its n-th occurrence in the text.
      let alias = AliasScan.location(ofUse: use, of: name, in: text, file: file) ?? location
      diagnostics.append(
        .error(
          "YAML alias '*\(name)' is not supported in manifests", at: alias,
          hint: "write the value out (the anchor is at line \(location.line))"))
      return ManifestNode(content: .scalar(.null, raw: ""), location: alias, isRefused: true)
    }
    nodeCount += 1
    if depth > ManifestLimits.depth || nodeCount > ManifestLimits.nodesPerFile {
      if !reportedLimit {
        reportedLimit = true
        diagnostics.append(
          depth > ManifestLimits.depth
            ? .error(
              "YAML nested deeper than \(ManifestLimits.depth) levels", at: location,
              hint: "manifests are a few levels deep; this is not a manifest Berth can read")
            : .error(
              "more than \(ManifestLimits.nodesPerFile) YAML values in one file", at: location,
              hint: "split the manifests into several files"))
      }
      return ManifestNode(content: .scalar(.null, raw: ""), location: location, isRefused: true)
    }
    if let tag = unsupportedTag(of: node) {
      diagnostics.append(
        .error(
          "YAML tag '\(tag)' is not supported in manifests", at: location,
          hint: "write the value itself; quote it to make it a string"))
      return ManifestNode(content: .scalar(.null, raw: ""), location: location, isRefused: true)
    }
    switch node {
    case .scalar(let scalar):
      let forcedString = scalar.tag.description == Self.stringTag
      let value = forcedString ? .string(scalar.string) : Self.scalarValue(scalar)
      return ManifestNode(content: .scalar(value, raw: scalar.string), location: location)
    case .mapping(let mapping):
      var entries: [(key: String, keyLocation: SourceLocation, value: ManifestNode)] = []
      for (keyNode, valueNode) in mapping {
        let keyLocation = self.location(of: keyNode)
        guard case .scalar(let keyScalar) = keyNode, aliasUse(of: keyNode) == nil else {
          diagnostics.append(.error("mapping keys must be plain strings", at: keyLocation))
          continue
        }
        if keyScalar.string == "<<" && keyScalar.style == .plain {
          diagnostics.append(
            .error(
              "YAML merge key '<<' is not supported in manifests", at: keyLocation,
              hint: "write the fields out; overlays (--overlay) share settings between environments"))
          countAliases(in: valueNode)
          continue
        }
        entries.append((keyScalar.string, keyLocation, convert(valueNode, depth: depth + 1)))
      }
      return ManifestNode(content: .mapping(entries), location: location)
    case .sequence(let sequence):
      var items: [ManifestNode] = []
      for item in sequence { items.append(convert(item, depth: depth + 1)) }
      return ManifestNode(content: .sequence(items), location: location)
    case .alias:
      return ManifestNode(content: .scalar(.null, raw: ""), location: location)
    }
  }

  /// Which use (from 0) of its anchor's name `node` is when it is an alias, or nil when it is seen for the first time.
  private mutating func aliasUse(of node: Node) -> Int? {
    guard let anchor = node.anchor else { return nil }
    if definedAnchors.insert(ObjectIdentifier(anchor)).inserted { return nil }
    let use = aliasUses[anchor.rawValue, default: 0]
    aliasUses[anchor.rawValue] = use + 1
    return use
  }

  /// Keeps the alias count right for aliases under a refused merge key, without reporting them twice.
  private mutating func countAliases(in node: Node) {
    if case .sequence(let items) = node {
      for item in items { _ = aliasUse(of: item) }
    } else {
      _ = aliasUse(of: node)
    }
  }

  /// The tag as written, when it is one manifests refuse. Read unresolved: `Node.tag` would resolve it in place.
  private func unsupportedTag(of node: Node) -> String? {
    let (name, own): (String, String) =
      switch node {
      case .scalar(let scalar): (scalar.tag.description, Self.stringTag)
      case .mapping(let mapping): (mapping.tag.description, "tag:yaml.org,2002:map")
      case .sequence(let sequence): (sequence.tag.description, "tag:yaml.org,2002:seq")
      case .alias: ("", "")
      }
    if name.isEmpty || name == "!" || name == own { return nil }
    return name.hasPrefix("tag:yaml.org,2002:") ? "!!" + name.dropFirst("tag:yaml.org,2002:".count) : name
  }

  private func location(of node: Node) -> SourceLocation {
    SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
  }

  private static let stringTag = "tag:yaml.org,2002:str"

  /// Resolves a plain scalar's type (see `ScalarResolution`); quoted and block scalars are strings.
  private static func scalarValue(_ scalar: Node.Scalar) -> ManifestNode.Scalar {
    switch scalar.style {
    case .singleQuoted, .doubleQuoted, .literal, .folded:
      return .string(scalar.string)
    default:
      return ScalarResolution.resolve(scalar.string)
    }
  }
}

/// Finds where aliases are written, since Yams keeps only the anchor's position.
enum AliasScan {
  /// The position of the `use`-th (from 0) `*name` in `text`, skipping comments and quoted strings.
  static func location(ofUse use: Int, of name: String, in text: String, file: String) -> SourceLocation? {
    let bytes = Array(text.utf8)
    let nameBytes = Array(name.utf8)
    var line = 1
    var lineStart = 0
    var seen = 0
    var quote: UInt8? = nil
    var i = 0
    while i < bytes.count {
      let byte = bytes[i]
      let startsToken = i == lineStart || [32, 9, 44, 58, 91, 123].contains(bytes[i - 1])
      if byte == 10 {
        line += 1
        lineStart = i + 1
      } else if let open = quote {
        if byte == 92 && open == 34 { i += 1 } else if byte == open { quote = nil }
      } else if (byte == 39 || byte == 34) && startsToken {
        quote = byte
      } else if byte == 35 && startsToken {
        while i < bytes.count, bytes[i] != 10 { i += 1 }
        continue
      } else if byte == 42 && startsToken {
        let end = i + 1 + nameBytes.count
        if end <= bytes.count, bytes[(i + 1)..<end].elementsEqual(nameBytes),
          end == bytes.count || endsName(bytes[end])
        {
          if seen == use {
            let column = String(decoding: bytes[lineStart..<i], as: UTF8.self).count + 1
            return SourceLocation(file: file, line: line, column: column)
          }
          seen += 1
        }
      }
      i += 1
    }
    return nil
  }

  /// Whether `byte` ends an anchor name (YAML forbids whitespace and flow indicators in one).
  private static func endsName(_ byte: UInt8) -> Bool {
    [32, 9, 10, 13, 44, 91, 93, 123, 125].contains(byte)
  }
}
