/// The identity of a resource: its kind and its name, written `kind/name`.
public struct ResourceAddress: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
  public var kind: ResourceKind
  public var name: String

  public init(_ kind: ResourceKind, _ name: String) {
    self.kind = kind
    self.name = name
  }

  /// Parses `service/diabetes-local` or `Service/diabetes-local`.
  public init?(parsing text: String) {
    let parts = text.split(separator: "/", maxSplits: 1)
    guard parts.count == 2, let kind = ResourceKind(addressPrefix: String(parts[0])), !parts[1].isEmpty else {
      return nil
    }
    self.init(kind, String(parts[1]))
  }

  public var description: String { "\(kind.addressPrefix)/\(name)" }

  public static func < (lhs: ResourceAddress, rhs: ResourceAddress) -> Bool {
    lhs.kind == rhs.kind ? lhs.name < rhs.name : lhs.kind < rhs.kind
  }

  public init(from decoder: Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let address = ResourceAddress(parsing: text) else {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad address \(text)"))
    }
    self = address
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}
