import BerthModel
import Foundation

/// A `FieldValue` as the store writes it to JSON, with doubles tagged: `{"double": 1.0}`.
///
/// Plain JSON reads `1.0` back as the integer 1, and a recorded `.double(1.0)` that came back as
/// `.int(1)` would differ from the manifest's value on every plan. Strings, integers, booleans and
/// lists stay plain JSON so that the column is still readable with `sqlite3`.
struct StoredFieldValue: Codable {
  var value: FieldValue

  init(_ value: FieldValue) { self.value = value }

  init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let tagged = try? container.decode(TaggedDouble.self) {
      value = .double(tagged.double)
    } else if let items = try? container.decode([StoredFieldValue].self) {
      value = .list(items.map(\.value))
    } else {
      value = try container.decode(FieldValue.self)
    }
  }

  func encode(to encoder: Encoder) throws {
    var container = encoder.singleValueContainer()
    switch value {
    case .double(let d): try container.encode(TaggedDouble(double: d))
    case .list(let items): try container.encode(items.map(StoredFieldValue.init))
    default: try container.encode(value)
    }
  }

  /// Attributes in their stored form.
  static func wrap(_ attributes: Attributes) -> [String: StoredFieldValue] {
    attributes.mapValues(StoredFieldValue.init)
  }

  static func unwrap(_ stored: [String: StoredFieldValue]) -> Attributes {
    stored.mapValues(\.value)
  }
}

/// `{"double": 1.0}`; infinities and NaN, which JSON cannot write, as `"inf"`, `"-inf"`, `"nan"`.
private struct TaggedDouble: Codable {
  var double: Double

  private enum CodingKeys: String, CodingKey { case double }

  init(double: Double) { self.double = double }

  init(from decoder: Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    if let value = try? container.decode(Double.self, forKey: .double) {
      double = value
      return
    }
    switch try container.decode(String.self, forKey: .double) {
    case "inf": double = .infinity
    case "-inf": double = -.infinity
    case "nan": double = .nan
    case let text:
      throw DecodingError.dataCorruptedError(forKey: .double, in: container, debugDescription: "bad double '\(text)'")
    }
  }

  func encode(to encoder: Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    if double.isFinite {
      try container.encode(double, forKey: .double)
    } else {
      try container.encode(double.isNaN ? "nan" : double < 0 ? "-inf" : "inf", forKey: .double)
    }
  }
}
