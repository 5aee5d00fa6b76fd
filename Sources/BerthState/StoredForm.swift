import BerthModel
import Foundation

/// How record fields are written to state columns — JSON with sorted keys, doubles tagged
/// (`StoredFieldValue`), dates as Unix seconds — shared by the SQLite and PostgreSQL stores.
public enum StoredForm {
  public static func json<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }

  public static func decode<T: Decodable>(_ type: T.Type, json: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(json.utf8))
  }

  public static func json(attributes: Attributes) throws -> String {
    try json(StoredFieldValue.wrap(attributes))
  }

  /// Reads attributes with the fast reader, falling back to `JSONDecoder` for what it does not take.
  public static func attributes(json: String) throws -> Attributes {
    if let fast = try? AttributesReader.read(json) { return fast }
    return StoredFieldValue.unwrap(try decode([String: StoredFieldValue].self, json: json))
  }

  /// Reads a record's dependencies (a JSON array of address strings) without `JSONDecoder`, which costs more per
  /// record than the rest of the row; anything else falls back to it.
  public static func addresses(json: String) throws -> [ResourceAddress] {
    if case .array(let items)? = try? JSONValue.parse(Data(json.utf8)) {
      var addresses: [ResourceAddress] = []
      addresses.reserveCapacity(items.count)
      for item in items {
        guard case .string(let text) = item, let address = ResourceAddress(parsing: text) else { break }
        addresses.append(address)
      }
      if addresses.count == items.count { return addresses }
    }
    return try decode([ResourceAddress].self, json: json)
  }

  /// Reads a JSON object of strings (a model version's tags) without `JSONDecoder`; other shapes fall back to it.
  public static func strings(json: String) throws -> [String: String] {
    if case .object(let members)? = try? JSONValue.parse(Data(json.utf8)) {
      var result: [String: String] = [:]
      for member in members {
        guard case .string(let text) = member.value else { return try decode([String: String].self, json: json) }
        result[member.key] = text
      }
      return result
    }
    return try decode([String: String].self, json: json)
  }

  public static func seconds(_ date: Date) -> Double { date.timeIntervalSince1970 }

  public static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

  public static func address(_ text: String) throws -> ResourceAddress {
    guard let address = ResourceAddress(parsing: text) else {
      throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "bad resource address '\(text)' in state"))
    }
    return address
  }
}
