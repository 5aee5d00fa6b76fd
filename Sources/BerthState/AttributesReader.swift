import BerthModel
import Foundation

/// Reads the attribute JSON the store writes — an object of strings, integers, booleans, lists and
/// tagged doubles (`{"double": 1.5}`) — through Berth's one JSON reader, an order of magnitude faster
/// than `JSONDecoder`.
///
/// Anything outside that shape throws; the caller falls back to `JSONDecoder`, which reads any JSON.
enum AttributesReader {
  struct Malformed: Error {}

  static func read(_ json: String) throws -> Attributes {
    guard case .object(let members) = try? JSONValue.parse(Data(json.utf8)) else { throw Malformed() }
    var result: Attributes = [:]
    for member in members { result[member.key] = try value(member.value) }
    return result
  }

  private static func value(_ json: JSONValue) throws -> FieldValue {
    switch json {
    case .string(let text): return .string(text)
    case .int(let number): return .int(number)
    case .bool(let flag): return .bool(flag)
    case .array(let items): return .list(try items.map(value))
    case .object(let members):
      // Only the tagged double; its non-finite forms (written as text) are rare enough for the slow path.
      guard members.count == 1, members[0].key == "double" else { throw Malformed() }
      switch members[0].value {
      case .int(let number): return .double(Double(number))
      case .double(let number): return .double(number)
      default: throw Malformed()
      }
    case .double, .null: throw Malformed()
    }
  }
}
