/// A scalar or list value of one resource field, as recorded in state and shown in diffs.
///
/// Numbers compare by value: `.int(1) == .double(1.0)`, because JSON (saved plans, state) does not
/// keep the difference and `cpu_cores: 1` and `cpu_cores: 1.0` mean the same thing.
public enum FieldValue: Hashable, Sendable, Codable, CustomStringConvertible {
  case string(String)
  case int(Int)
  case double(Double)
  case bool(Bool)
  case list([FieldValue])

  public var description: String {
    switch self {
    case .string(let s): "\"\(s)\""
    case .int(let i): String(i)
    case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(format1: d) : String(d)
    case .bool(let b): String(b)
    case .list(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
    }
  }

  public static func == (lhs: FieldValue, rhs: FieldValue) -> Bool {
    switch (lhs, rhs) {
    case (.string(let a), .string(let b)): a == b
    case (.bool(let a), .bool(let b)): a == b
    case (.list(let a), .list(let b)): a == b
    case (.int(let a), .int(let b)): a == b
    case (.double(let a), .double(let b)): a == b
    case (.int(let a), .double(let b)), (.double(let b), .int(let a)): Double(a) == b
    default: false
    }
  }

  public func hash(into hasher: inout Hasher) {
    switch self {
    case .string(let s): hasher.combine(0); hasher.combine(s)
    case .bool(let b): hasher.combine(1); hasher.combine(b)
    case .list(let items): hasher.combine(2); hasher.combine(items)
    case .int(let i): hasher.combine(3); hasher.combine(Double(i))
    case .double(let d): hasher.combine(3); hasher.combine(d)
    }
  }

  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let b = try? container.decode(Bool.self) {
      self = .bool(b)
    } else if let i = try? container.decode(Int.self) {
      self = .int(i)
    } else if let d = try? container.decode(Double.self) {
      self = .double(d)
    } else if let s = try? container.decode(String.self) {
      self = .string(s)
    } else {
      self = .list(try container.decode([FieldValue].self))
    }
  }

  public func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .string(let s): try container.encode(s)
    case .int(let i): try container.encode(i)
    case .double(let d): try container.encode(d)
    case .bool(let b): try container.encode(b)
    case .list(let items): try container.encode(items)
    }
  }
}

extension String {
  /// `1.0` rather than `1`, so that doubles stay recognisable in diffs.
  fileprivate init(format1 value: Double) {
    self = String(Int(value)) + ".0"
  }
}

/// Field path (`deployment.port`, `tags.algo`) → value: the flat form a diff compares.
public typealias Attributes = [String: FieldValue]
