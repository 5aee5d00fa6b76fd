import Foundation

/// A JSON value whose object members keep their order, so rendered objects read like hand-written ones.
public enum JSONValue: Hashable, Sendable {
  case null
  case bool(Bool)
  case int(Int)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object([Member])

  /// One key and value of an object.
  public struct Member: Hashable, Sendable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
      self.key = key
      self.value = value
    }
  }

  /// An object from ordered pairs; pairs whose value is `nil` are left out.
  public static func obj(_ pairs: KeyValuePairs<String, JSONValue?>) -> JSONValue {
    .object(pairs.compactMap { key, value in value.map { Member(key, $0) } })
  }

  /// An object with sorted keys from a dictionary of strings (labels, annotations).
  public static func strings(_ dictionary: [String: String]) -> JSONValue {
    .object(dictionary.keys.sorted().map { Member($0, .string(dictionary[$0]!)) })
  }

  /// The member at `key` of an object, the element at an integer index of an array.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.last { $0.key == key }?.value
  }

  public subscript(index: Int) -> JSONValue? {
    guard case .array(let items) = self, items.indices.contains(index) else { return nil }
    return items[index]
  }

  /// The value at a dotted path such as `spec.template.spec.containers[0].image`.
  public func value(at path: String) -> JSONValue? {
    var current: JSONValue? = self
    for component in JSONPath.components(path) {
      switch component {
      case .key(let key): current = current?[key]
      case .index(let index): current = current?[index]
      }
    }
    return current
  }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  public var intValue: Int? {
    switch self {
    case .int(let i): i
    case .double(let d) where d == d.rounded(): Int(d)
    default: nil
    }
  }

  public var arrayValue: [JSONValue]? {
    if case .array(let items) = self { return items }
    return nil
  }

  /// Sets `value` at `key` of an object, replacing an existing member in place.
  public mutating func set(_ key: String, _ value: JSONValue) {
    guard case .object(var members) = self else { return }
    if let index = members.firstIndex(where: { $0.key == key }) {
      members[index].value = value
    } else {
      members.append(Member(key, value))
    }
    self = .object(members)
  }
}

/// A parsed step of a dotted path.
enum JSONPath {
  enum Component: Hashable {
    case key(String)
    case index(Int)
  }

  /// `a.b[0].c` → key a, key b, index 0, key c. Keys with dots are written in brackets: `labels["app.kubernetes.io/name"]`.
  static func components(_ path: String) -> [Component] {
    var result: [Component] = []
    var current = ""
    var iterator = Array(path).makeIterator()
    func flush() {
      if !current.isEmpty { result.append(.key(current)) }
      current = ""
    }
    while let character = iterator.next() {
      switch character {
      case ".": flush()
      case "[":
        flush()
        var inside = ""
        while let next = iterator.next(), next != "]" { inside.append(next) }
        if let index = Int(inside) {
          result.append(.index(index))
        } else {
          result.append(.key(inside.trimmingCharacters(in: CharacterSet(charactersIn: "\""))))
        }
      default: current.append(character)
      }
    }
    flush()
    return result
  }
}

extension JSONValue {
  /// Decodes JSON bytes (server responses), keeping member order.
  public static func parse(_ data: Data) throws -> JSONValue {
    try JSONParser.parse(data)
  }
}
