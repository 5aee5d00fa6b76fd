import BerthModel
import Foundation

/// One structured log line of `berth watch`: `{"time":…,"level":…,"event":…, fields…}`.
///
/// Fields hold counts, durations, addresses and error messages, never attribute values; string
/// fields also have passwords in URLs (`scheme://user:pass@host`) masked.
public struct WatchLogRecord: Sendable, Equatable {
  public enum Level: String, Sendable {
    case info, warn, error
  }

  /// A field value: what JSON can carry without nesting.
  public enum Value: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral
  {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
  }

  /// A named value; fields keep their order in the line.
  public struct Field: Sendable, Equatable {
    public var name: String
    public var value: Value

    public init(_ name: String, _ value: Value) {
      self.name = name
      self.value = value
    }
  }

  public var time: Date
  public var level: Level
  public var event: String
  public var fields: [Field]

  public init(time: Date, level: Level, event: String, fields: [Field] = []) {
    self.time = time
    self.level = level
    self.event = event
    self.fields = fields
  }

  /// The value of field `name`, if present.
  public subscript(name: String) -> Value? { fields.first { $0.name == name }?.value }

  /// The JSON object, on one line, without the newline.
  public var jsonLine: String {
    var members = [
      "\"time\":" + JSONString.quoted(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(time)),
      "\"level\":" + JSONString.quoted(level.rawValue),
      "\"event\":" + JSONString.quoted(event),
    ]
    for field in fields {
      let value: String
      switch field.value {
      case .string(let text): value = JSONString.quoted(Self.redacted(text))
      case .int(let number): value = String(number)
      case .double(let number): value = number.isFinite ? Self.rounded(number) : "null"
      case .bool(let flag): value = flag ? "true" : "false"
      }
      members.append(JSONString.quoted(field.name) + ":" + value)
    }
    return "{" + members.joined(separator: ",") + "}"
  }

  /// Milliseconds are enough for durations in logs, and keep lines short.
  static func rounded(_ number: Double) -> String {
    let value = (number * 1000).rounded() / 1000
    return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
  }

  /// Masks the password of any `scheme://user:password@` in `text`.
  public static func redacted(_ text: String) -> String {
    guard text.contains("://"), text.contains("@") else { return text }
    return text.replacing(#/(?<prefix>[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@]*):[^\s/@]*@/#) { match in
      "\(match.output.prefix):****@"
    }
  }
}
