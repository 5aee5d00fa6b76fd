import BerthModel
import Foundation

/// How record fields are written to PostgreSQL: the SQLite store's JSON (sorted keys, doubles
/// tagged as `{"double": 1.0}`) in `jsonb` columns, and dates as `timestamptz` exact to the microsecond.
enum PostgresStoredForm {
  static func json<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }

  static func decode<T: Decodable>(_ type: T.Type, json: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(json.utf8))
  }

  static func json(attributes: Attributes) throws -> String {
    try json(attributes.mapValues(TaggedFieldValue.init))
  }

  static func attributes(json: String) throws -> Attributes {
    try decode([String: TaggedFieldValue].self, json: json).mapValues(\.value)
  }

  /// Unix seconds, bound as `to_timestamp($n)` and read as `extract(epoch FROM column)::float8`:
  /// the server rounds to the microsecond, so a date reads back as `microseconds(date)`.
  static func seconds(_ date: Date) -> Double { date.timeIntervalSince1970 }

  static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

  /// `date` as it reads back after a round trip through a `timestamptz` column.
  static func microseconds(_ date: Date) -> Date {
    Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1_000_000).rounded() / 1_000_000)
  }

  static func address(_ text: String) throws -> ResourceAddress {
    guard let address = ResourceAddress(parsing: text) else {
      throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "bad resource address '\(text)' in state"))
    }
    return address
  }
}

/// A `FieldValue` with doubles tagged, so that `.double(1.0)` does not read back as `.int(1)`.
///
/// The same JSON as the SQLite store writes: strings, integers, booleans and lists stay plain;
/// infinities and NaN, which JSON cannot write, are `{"double": "inf"}`, `"-inf"`, `"nan"`.
struct TaggedFieldValue: Codable {
  var value: FieldValue

  init(_ value: FieldValue) { self.value = value }

  private enum Key: String, CodingKey { case double }

  init(from decoder: Decoder) throws {
    if let tagged = try? decoder.container(keyedBy: Key.self) {
      if let number = try? tagged.decode(Double.self, forKey: .double) {
        value = .double(number)
        return
      }
      switch try tagged.decode(String.self, forKey: .double) {
      case "inf": value = .double(.infinity)
      case "-inf": value = .double(-.infinity)
      case "nan": value = .double(.nan)
      case let text:
        throw DecodingError.dataCorruptedError(forKey: .double, in: tagged, debugDescription: "bad double '\(text)'")
      }
      return
    }
    let container = try decoder.singleValueContainer()
    if let items = try? container.decode([TaggedFieldValue].self) {
      value = .list(items.map(\.value))
    } else {
      value = try container.decode(FieldValue.self)
    }
  }

  func encode(to encoder: Encoder) throws {
    switch value {
    case .double(let number):
      var container = encoder.container(keyedBy: Key.self)
      if number.isFinite {
        try container.encode(number, forKey: .double)
      } else {
        try container.encode(number.isNaN ? "nan" : number < 0 ? "-inf" : "inf", forKey: .double)
      }
    case .list(let items):
      var container = encoder.singleValueContainer()
      try container.encode(items.map(TaggedFieldValue.init))
    default:
      var container = encoder.singleValueContainer()
      try container.encode(value)
    }
  }
}
